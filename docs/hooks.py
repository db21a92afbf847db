"""MkDocs hooks: the home page is the README, and the backward pages the docs embed are written into the site.

The home page (docs/index.md, a placeholder) is README.md itself, its links into docs/ made relative to the
site, so the two cannot drift apart. A backward page is generated with `viz.backward_page`, not committed,
so it always shows the current engine and page code. It needs Graphviz's ``dot`` (`make docs` and `make test`
install it); without it the build fails with `viz`'s install hint.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def on_page_markdown(markdown, page, **kwargs):
    if page.file.src_uri != "index.md":
        return markdown
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read().replace("](docs/", "](")


def on_post_build(config, **kwargs):
    sys.path.insert(0, ROOT)
    try:
        from demos import mazur
        from viz import backward_page
    finally:
        sys.path.remove(ROOT)
    folder = os.path.join(config["site_dir"], "pages")
    os.makedirs(folder, exist_ok=True)
    p = mazur.make_params()
    backward_page(mazur.forward(p)["E_total"], os.path.join(folder, "mazur.html"), params=p.values())
