"""Graph queries that every layer above the engine shares (the compiler, autograd, explain, viz).
"""



__all__ = ["on_paths"]


def on_paths(order, sources):
    """The Values on some path from one of `sources` up to the root: a set holding the sources and every
    node of `order` computed, directly or not, from one of them.

    `order`: a root's graph in topological order (`topological_order(root)`); `sources`: Values of it."""
    marked = set(sources)
    for node in order:  # parents come first, so one pass sees every dependency
        if any(p in marked for p in node.parents):
            marked.add(node)
    return marked
