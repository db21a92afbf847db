"""viz.page: `backward_page` writes one self-contained HTML file that steps through backward() (or the forward
pass); the notes' network's page is driven in a real headless Chromium by Playwright.

The browser tests take conftest's `browser` fixture: skipped, saying how to install Chromium, when it is not on
PATH, and failed instead under CI (so they ask for it before the page is written). Every test that writes a page
takes the `dot` fixture (the SVG is dot's)."""

import re

import pytest

import viz
from demos import mazur, truth_table
from micrograd_lite import Value, topological_order
from micrograd_lite.explain import trace_backward

pytestmark = pytest.mark.usefixtures("dot")


def _number(x):
    return format(x, ".4g")  # what the picture prints (viz.graph)


@pytest.fixture
def mazur_page(tmp_path):
    """(path, parameters, nodes) of the notes' network's backward page at the initial weights."""
    p = mazur.make_params()
    nodes = mazur.forward(p)
    path = viz.backward_page(nodes["E_total"], tmp_path / "mazur.html", params=p.values())
    return path, p, nodes


@pytest.fixture
def open_page(browser):
    """``open_page(path)``: a browser tab on `path` (from file://), and the list that collects the page's
    console errors, uncaught exceptions and every request that is not for the file itself."""
    def open_(path, width=1400, height=900):
        tab = browser.new_page(viewport={"width": width, "height": height})
        problems = []
        tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        url = path.resolve().as_uri()
        tab.on("request", lambda r: problems.append(f"request: {r.url}") if r.url != url else None)
        tab.goto(url)
        return tab, problems
    return open_


def node_texts(tab):
    """{first text of the node: [its texts]} for every labelled node on the page (label | data | grad), and
    {"v7": [its texts]} for every node by its id (the position in `topological_order`, as draw_dot names it)."""
    return tab.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('g.node'))
        .flatMap(g => { const ts = Array.from(g.querySelectorAll('text')).map(t => t.textContent);
                        return [[ts[0], ts], [g.querySelector('title').textContent, ts]]; }))""")


def visible_edge_labels(tab, cls):
    return tab.evaluate(f"""() => Array.from(document.querySelectorAll('g.edge.{cls} text'))
        .map(t => t.textContent)""")


# ---- in the browser ------------------------------------------------------------------------------------------
def test_mazur_page_steps_to_backwards_grads_and_back(open_page, mazur_page):
    path, p, nodes = mazur_page
    root = nodes["E_total"]
    n = len(trace_backward(root))
    tab, problems = open_page(path)
    assert tab.text_content("#status").startswith(f"step 0 / {n}: grads empty")
    assert node_texts(tab)["w5"][-1] == "grad"  # grads empty at first
    assert tab.is_disabled("#back")

    tab.click("#step")
    assert tab.text_content("#status") == f"step 1 / {n}: E_total = +(E_o1, E_o2), ∂E_total/∂E_total = 1"
    assert visible_edge_labels(tab, "active") == ["1 × 1 = 1", "1 × 1 = 1"]
    for k in range(2, n + 1):
        tab.click("#step")
        assert tab.text_content("#status").startswith(f"step {k} / {n}: ")
    assert tab.is_disabled("#step")
    assert tab.text_content("#status") == (f"step {n} / {n}: net_h1 = dot(w1, w2, i1, i2, b1), "
                                           f"∂E_total/∂net_h1 = 0.008771")
    texts = node_texts(tab)
    # The post's gradients (0.082167041, 0.000438568) to the picture's 4 digits
    assert texts["w5"] == ["w5", "data 0.4", "grad 0.08217"]
    assert texts["w1"] == ["w1", "data 0.15", "grad 0.0004386"]
    root.backward()  # every grad on the page is backward()'s
    for i, v in enumerate(topological_order(root)):
        if v.parents or v.label is not None:
            assert texts[f"v{i}"][-1] == f"grad {_number(v.grad)}", (i, v)
        else:  # a constant: its number, no grad to show
            assert texts[f"v{i}"] == [f"data {_number(v.data)}"], (i, v)
    # the last step's edges: upstream × local = contribution, into net_h1's dot
    assert "0.008771 × 0.05 = 0.0004386" in visible_edge_labels(tab, "active")

    tab.click("#back")
    assert tab.text_content("#status") == (f"step {n - 1} / {n}: out_h1 = sigmoid(net_h1), "
                                           f"∂E_total/∂out_h1 = 0.03635")
    assert node_texts(tab)["w1"][-1] == "grad"  # w1's only contribution is undone
    assert node_texts(tab)["w5"][-1] == "grad 0.08217"
    tab.keyboard.press("ArrowLeft")
    assert tab.text_content("#status").startswith(f"step {n - 2} / {n}: ")
    tab.keyboard.press("ArrowRight")
    assert tab.text_content("#status").startswith(f"step {n - 1} / {n}: ")
    tab.click("#reset")
    assert tab.text_content("#status").startswith(f"step 0 / {n}: ")
    assert node_texts(tab)["w5"][-1] == "grad"
    assert visible_edge_labels(tab, "done") == visible_edge_labels(tab, "active") == []
    assert problems == []


def test_play_runs_steps_by_itself_and_pauses(open_page, mazur_page):
    tab, problems = open_page(mazur_page[0])
    tab.click("#play")
    assert tab.text_content("#play") == "pause"
    tab.wait_for_function("document.getElementById('status').textContent.startsWith('step 2 /')")
    tab.click("#play")
    assert tab.text_content("#play") == "play"
    status = tab.text_content("#status")
    tab.wait_for_timeout(viz.page.PLAY_INTERVAL_MS * 1.5)
    assert tab.text_content("#status") == status  # paused
    assert problems == []


def test_forward_page_fills_in_data_node_by_node(open_page, tmp_path):
    p = mazur.make_params()
    nodes = mazur.forward(p)
    computed = [(f"v{i}", v) for i, v in enumerate(topological_order(nodes["E_total"])) if v.parents]
    tab, problems = open_page(viz.backward_page(nodes["E_total"], tmp_path / "f.html", mode="forward"))
    assert tab.text_content("#status").startswith(f"step 0 / {len(computed)}: only the leaves")
    assert node_texts(tab)["w1"] == ["w1", "data 0.15"]  # leaves have data, no grads are shown
    assert node_texts(tab)["E_total"] == ["E_total", "data"]
    for k in range(1, len(computed) + 1):
        tab.keyboard.press("ArrowRight")
        assert tab.text_content("#status").startswith(f"step {k} / {len(computed)}: ")
    assert tab.text_content("#status").endswith("E_total = +(E_o1, E_o2) = 0.2984")
    texts = node_texts(tab)
    for vid, v in computed:
        assert texts[vid][-1] == f"data {_number(v.data)}", (vid, v)
    assert problems == []


def _small_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    return (a * b + 1).tanh(), None


def _mazur_graph():
    p = mazur.make_params()
    return mazur.forward(p)["E_total"], p.values()


def _truth_table_graph():
    net = truth_table.notes_net()
    return truth_table.example_tables(net, truth_table.CONTEXTS[0], "and")["root"], net.parameters()


# The current node's box and its tallest text on screen, and the graph's box, once the view has settled.
_WHERE = """() => {
  const id = window.backwardPage.node();
  const g = Array.from(document.querySelectorAll("g.node")).find(x => x.querySelector("title").textContent === id);
  const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {current: g.classList.contains("current"), node: r(g), graph: r(document.getElementById("graph")),
          text: Math.max(...Array.from(g.querySelectorAll("text")).map(t => t.getBoundingClientRect().height)),
          window: [window.innerWidth, window.innerHeight]};
}"""


def where(tab):
    tab.wait_for_selector('#graph[data-settled="true"]', state="attached")
    return tab.evaluate(_WHERE)


def assert_followed(w, k):
    left, top, right, bottom = w["node"]
    g = w["graph"]
    assert g[0] <= left and right <= g[2] and g[1] <= top and bottom <= g[3], (k, w)  # inside the graph's box
    assert 0 <= g[0] and g[2] <= w["window"][0] and 0 <= g[1] and g[3] <= w["window"][1], (k, w)  # on screen
    assert w["text"] >= viz.page.READABLE_PX, (k, w)


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
@pytest.mark.parametrize("graph", [_mazur_graph, _truth_table_graph, _small_graph], ids=["mazur", "truth", "small"])
def test_the_view_follows_every_step_and_the_graph_stays_put(open_page, tmp_path, graph, size):
    root, params = graph()
    n = len(trace_backward(root))
    tab, problems = open_page(viz.backward_page(root, tmp_path / "p.html", params=params), *size)
    first = where(tab)
    assert_followed(first, 0)
    for k in range(1, n + 1):
        tab.click("#step")
        w = where(tab)
        assert w["current"], k  # the node being processed keeps class current on its g.node
        assert_followed(w, k)
        assert max(abs(a - b) for a, b in zip(w["graph"], first["graph"])) <= 2, (k, w, first)
    for key in ["ArrowLeft", "ArrowLeft", "Home"]:  # back and reset follow too
        tab.keyboard.press(key)
        assert_followed(where(tab), key)
    tab.click("#play")
    tab.wait_for_function("document.getElementById('status').textContent.startsWith('step 2 /')")
    tab.click("#play")
    assert_followed(where(tab), "play")
    assert problems == []


def test_fit_zoom_and_drag(open_page, tmp_path):
    root, params = _mazur_graph()
    tab, problems = open_page(viz.backward_page(root, tmp_path / "p.html", params=params), 1280, 720)
    where(tab)
    graph_box = tab.evaluate("() => { const b = document.getElementById('graph').getBoundingClientRect(); "
                             "return [b.left, b.top, b.right, b.bottom]; }")
    svg_box = "() => { const b = document.querySelector('#graph g.graph').getBoundingClientRect(); " \
              "return [b.left, b.top, b.right, b.bottom]; }"
    tab.click("#fit")  # the whole graph inside the window
    left, top, right, bottom = tab.evaluate(svg_box)
    assert graph_box[0] - 1 <= left and right <= graph_box[2] + 1 and graph_box[1] - 1 <= top
    assert bottom <= graph_box[3] + 1
    assert max(right - left - (graph_box[2] - graph_box[0]), bottom - top - (graph_box[3] - graph_box[1])) >= -2
    scale = lambda: tab.evaluate("window.backwardPage.view().s")
    s0 = scale()
    tab.click("#zoom-in")
    assert scale() == pytest.approx(s0 * 1.25)
    tab.click("#zoom-out")
    assert scale() == pytest.approx(s0)
    cx, cy = (graph_box[0] + graph_box[2]) / 2, (graph_box[1] + graph_box[3]) / 2
    tab.mouse.move(cx, cy)
    tab.mouse.wheel(0, -200)  # wheel up: zoom in, about the pointer
    assert scale() > s0
    before = tab.evaluate(svg_box)
    tab.mouse.move(cx, cy)
    tab.mouse.down()
    tab.mouse.move(cx + 100, cy + 50, steps=5)
    tab.mouse.up()
    after = tab.evaluate(svg_box)
    assert after[0] - before[0] == pytest.approx(100, abs=1) and after[1] - before[1] == pytest.approx(50, abs=1)
    tab.click("#step")  # a step brings the view back to the step's node, readable
    assert_followed(where(tab), 1)
    assert problems == []


def test_detail_uses_the_pictures_digits(open_page, mazur_page):
    tab, _ = open_page(mazur_page[0])
    for _ in range(15):
        tab.click("#step")
    detail = tab.text_content("#detail")
    assert "0.008771 × 0.05 = 0.0004386" in detail and "0.000439" not in detail.replace("0.0004386", "")


# ---- the file ------------------------------------------------------------------------------------------------
def test_page_is_one_file_with_nothing_to_fetch(mazur_page):
    text = mazur_page[0].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<script>" in text
    # No src= or <link>, and the only URLs are the XML namespaces of the inlined SVG
    assert not re.search(r"\bsrc=|<link", text)
    assert set(re.findall(r"https?://[^\s\"']+", text)) <= {"http://www.w3.org/2000/svg",
                                                            "http://www.w3.org/1999/xlink"}


def test_repeated_operand_and_constants_get_a_page(tmp_path):
    a = Value(3.0, label="a")
    b = a * a + 2
    text = viz.backward_page(b, tmp_path / "sq.html").read_text(encoding="utf-8")
    assert "step 0 / 2: grads empty" in text
    assert "1 × 6 = 6" in text  # d(a*a)/da = 2a, one label on the two edges of a into *


def test_graph_grads_are_left_as_they_were(mazur_page):
    _, p, _ = mazur_page
    assert all(v.grad == 0 for v in p.values())


def test_records_are_laid_out_with_the_final_grads(mazur_page):
    # dot sizes each record by the text it is given; the page's grads are the final ones (the graph's are all
    # 0 here), so the numbers the steps write in fit their fields.
    text = mazur_page[0].read_text(encoding="utf-8")
    assert ">grad 0.08217<" in text and ">grad 0.0004386<" in text  # w5, w1: "grad 0" before the fix


def test_returns_the_path_given(tmp_path):
    x = Value(2.0, label="x")
    path = str(tmp_path / "p.html")
    assert viz.backward_page(x.tanh(), path) == path


@pytest.mark.parametrize("call, error, message", [
    (lambda v, f: viz.backward_page(1.0, f), TypeError, "backward_page: root must be a Value, got float 1.0"),
    (lambda v, f: viz.backward_page(v, f, mode="sideways"), ValueError,
     "backward_page: mode must be one of 'backward', 'forward', got 'sideways'"),
    (lambda v, f: viz.backward_page(Value(1.0, label="x"), f), ValueError, "is a leaf (it has no parents)"),
    (lambda v, f: viz.backward_page(v, f.parent / "no" / "p.html"), FileNotFoundError, "does not exist"),
    (lambda v, f: viz.backward_page(v, f, max_nodes=2), viz.GraphTooLargeError, "more than max_nodes=2"),
])
def test_bad_arguments_raise_and_leave_the_file_untouched(tmp_path, call, error, message):
    f = tmp_path / "page.html"
    f.write_text("before")
    v = Value(1.0, label="x") * Value(2.0, label="y")
    with pytest.raises(error, match=re.escape(message)):
        call(v, f)
    assert f.read_text() == "before"


def test_without_dot_the_error_names_backward_page(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(viz.GraphvizNotFoundError, match="^backward_page: Graphviz's `dot` program was not found"):
        viz.backward_page(Value(1.0) * 2, tmp_path / "p.html")
    assert list(tmp_path.iterdir()) == []


# ---- the demos' --page ---------------------------------------------------------------------------------------
def test_mazur_page_option_writes_the_page_and_stops(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert mazur.main(["--page", "net"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Page: wrote net.html; open it in a browser")
    assert "Training" not in out
    text = (tmp_path / "net.html").read_text(encoding="utf-8")
    assert "0.1385 × 0.5933 = 0.08217" in text  # ∂E_total/∂net_o1 × out_h1 into w5


@pytest.mark.parametrize("argv, message", [
    (["--page", "net.svg"], "argument --page: 'net.svg': the page is HTML; give a name ending in .html"),
    (["--page", "no/net.html"], "argument --page: 'no/net.html': folder 'no' does not exist"),
])
def test_mazur_bad_page_is_one_line(argv, message, option_error):
    assert option_error(mazur, argv).startswith(f"mazur.py: error: {message}")


def test_truth_table_page_option_writes_the_examples_page(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert truth_table.main(["--no-graph", "--page", "tt.html", "--explain", "0,1"]) == 0
    assert "Page: wrote tt.html" in capsys.readouterr().out
    text = (tmp_path / "tt.html").read_text(encoding="utf-8")
    assert "backward() from " in text and "<svg" in text
    assert [p.name for p in tmp_path.iterdir()] == ["tt.html"]


def test_a_dot_that_gives_no_svg_is_named(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "dot"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(RuntimeError, match="^backward_page: Graphviz's dot gave no SVG"):
        viz.backward_page(Value(1.0) * 2, tmp_path / "p.html")
    assert not (tmp_path / "p.html").exists()


# ---- the exercise --------------------------------------------------------------------------------------------
@pytest.fixture
def exercise_page(tmp_path):
    p = mazur.make_params()
    root = mazur.forward(p)["E_total"]
    return viz.backward_page(root, tmp_path / "ex.html", params=p.values(), exercise=True), root, p


def answer(tab, text, enter=True):
    tab.fill("#answer", text)
    if enter:
        tab.press("#answer", "Enter")
    else:
        tab.click("#submit")
    return tab.text_content("#verdict")


def test_exercise_accepts_each_right_answer_at_4_digits_then_asks_for_the_parameters(open_page, exercise_page):
    path, root, p = exercise_page
    trace = trace_backward(root)
    tab, problems = open_page(path, 1024, 768)
    for k, s in enumerate(trace, 1):
        name = s.name if s.node.label is not None else f"({s.name})"
        assert tab.text_content("#question") == f"∂E_total/∂{name} = ?"
        assert tab.text_content("#status").startswith(f"step {k - 1} / ")  # asked before it is shown
        assert answer(tab, _number(s.upstream), enter=k % 2 == 0).startswith("correct")
        assert tab.text_content("#status").startswith(f"step {k} / ")
        w = where(tab)
        assert w["current"] and w["text"] >= viz.page.READABLE_PX
    assert node_texts(tab)["w5"][-1] == "grad ?"  # the parameters' grads wait for their questions
    for name, v in p.items():
        assert tab.text_content("#question") == f"∂E_total/∂{name} = ?"
        assert not answer(tab, "12345").startswith("correct")
        assert answer(tab, _number(trace.grads[v])).startswith("correct")
        assert node_texts(tab)[name][-1] == f"grad {_number(trace.grads[v])}"
    assert tab.text_content("#question").startswith("all answered")
    assert tab.is_disabled("#answer")
    text = path.read_text(encoding="utf-8")
    assert "∂E_total/∂0.5" not in text and "∂E_total/∂2 " not in text  # constants are never asked about
    assert problems == []


def test_exercise_names_a_sign_slip_and_reveal_moves_on(open_page, exercise_page):
    path, root, _ = exercise_page
    trace = trace_backward(root)
    tab, problems = open_page(path)
    for _ in range(9):  # to ∂E_total/∂out_o1 = 0.7414
        tab.click("#reveal")
    assert tab.text_content("#question") == "∂E_total/∂out_o1 = ?"
    verdict = answer(tab, "-0.7414")
    assert verdict.startswith("wrong (sign): ") and "opposite sign" in verdict
    assert tab.eval_on_selector("#verdict", "e => e.className") == "wrong"
    assert tab.text_content("#status").startswith("step 9 / ")  # a wrong answer does not move on
    assert answer(tab, "0.74").startswith("wrong")  # right only to 2 digits: 4 are asked for
    assert answer(tab, "abc").startswith("not a number")
    assert answer(tab, "0.741365").startswith("correct")  # more digits are fine
    assert tab.text_content("#status").startswith("step 10 / ")
    tab.click("#reveal")
    assert tab.text_content("#verdict") == f"revealed: ∂E_total/∂net_o1 = {_number(trace.steps[10].upstream)}"
    assert problems == []


def test_exercise_in_forward_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="exercise=True asks for the backward pass"):
        viz.backward_page(Value(1.0, label="x") * 2, tmp_path / "p.html", mode="forward", exercise=True)


def test_demos_write_exercise_pages(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert mazur.main(["--page", "ex", "--exercise"]) == 0
    assert "asks for the gradient the step reveals" in " ".join(capsys.readouterr().out.split())
    assert 'id="question"' in (tmp_path / "ex.html").read_text(encoding="utf-8")
    assert truth_table.main(["--no-graph", "--page", "tt.html", "--exercise", "--steps", "300"]) in (0, 1)
    assert 'id="question"' in (tmp_path / "tt.html").read_text(encoding="utf-8")


# ---- labels of any content, and refusals ---------------------------------------------------------------------
@pytest.mark.parametrize("label", ["<!--<script>", "</script><script>alert(1)</script>", "a\x00b", "\"q\" 'r'",
                                   "x\u2028y", "&amp; <b>"], ids=["comment-script", "end-script", "nul",
                                                                   "quotes", "u2028", "entity"])
def test_labels_of_any_content_leave_the_page_working(open_page, tmp_path, label):
    x = Value(2.0, label=label)
    y = (x * Value(3.0, label="w")).tanh()
    y.label = label + "!"
    path = viz.backward_page(y, tmp_path / "p.html", title=label, exercise=True)
    tab, problems = open_page(path)
    tab.click("#step")
    tab.click("#step")
    assert tab.text_content("#status").startswith("step 2 / 2")
    shown = label.replace("\x00", "\u2400")
    assert shown in tab.text_content("#graph")
    assert tab.text_content("h1") == shown
    assert problems == []


def test_a_too_large_graph_is_refused_before_the_trace(tmp_path, monkeypatch):
    import micrograd_lite.explain as explain
    x = Value(1.0)
    for _ in range(300):
        x = x * 1.01
    monkeypatch.setattr(viz.page, "trace_backward", lambda root: pytest.fail("traced a graph too large to draw"))
    with pytest.raises(viz.GraphTooLargeError, match="^backward_page: the graph of .* more than max_nodes=400"):
        viz.backward_page(x, tmp_path / "p.html")
    assert explain.trace_backward  # the real one is untouched


def test_demo_page_without_graphviz_exits_non_zero_with_the_hint(tmp_path, monkeypatch, option_error):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    message = option_error(mazur, ["--page", "net.html"])
    assert "argument --page: the page needs Graphviz's `dot` program" in message and "apt-get install graphviz" \
        in message
    assert not (tmp_path / "net.html").exists()


def test_write_page_reports_a_failure(tmp_path, monkeypatch):
    from demos.cli import write_page
    monkeypatch.setenv("PATH", str(tmp_path))
    ok, line = write_page(Value(1.0, label="x") * 2, str(tmp_path / "p.html"))
    assert not ok and line.startswith("Page not written: backward_page: Graphviz's `dot` program was not found")


def test_params_may_be_a_generator(tmp_path):
    p = mazur.make_params()
    root = mazur.forward(p)["E_total"]
    text = viz.backward_page(root, tmp_path / "g.html", params=(v for v in p.values()), exercise=True).read_text(
        encoding="utf-8")
    assert "#c6dbef" in text and "∂E_total/∂w5" in text  # parameters filled blue, and asked about


def test_a_pinch_zooms_about_the_fingers(open_page, mazur_page):
    tab, problems = open_page(mazur_page[0], 1024, 768)
    where(tab)
    s0 = tab.evaluate("window.backwardPage.view().s")
    # two pointers moving apart, as a touch screen reports a pinch (Pointer Events)
    tab.evaluate("""() => {
      const box = document.getElementById("graph"), r = box.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const fire = (type, id, dx) => box.dispatchEvent(new PointerEvent(type, {pointerId: id, clientX: x + dx,
                                                       clientY: y, bubbles: true, pointerType: "touch"}));
      fire("pointerdown", 11, -50); fire("pointerdown", 12, 50);
      fire("pointermove", 12, 100);  // the distance 100 -> 150: zoom by 1.5
      fire("pointerup", 11, -50); fire("pointerup", 12, 100);
    }""")
    assert tab.evaluate("window.backwardPage.view().s") == pytest.approx(1.5 * s0)
    assert problems == []


def test_an_unlabelled_parameter_is_asked_about_as_a_parameter_not_a_number(tmp_path):
    w = Value(0.3)  # as an MLP's weights are: no label
    y = (w * Value(2.0, label="x")).tanh()
    y.label = "y"
    text = viz.backward_page(y, tmp_path / "p.html", params=[w], exercise=True).read_text(encoding="utf-8")
    assert "\"name\": \"∂y/∂[parameter, data 0.3]\"" in text  # asked about as a parameter
    assert "∂y/∂[parameter, data 0.3] += " in text  # and its line in the step's text
