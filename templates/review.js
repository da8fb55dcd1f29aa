// The review page's script (engine/check/review.py). Student text is put in the page with
// textContent, or typeset by KaTeX with trust: false; never with innerHTML.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var KATEX = { throwOnError: false, trust: false, strict: "ignore", maxSize: 20, maxExpand: 200 };
  var MATH = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$([^$]+?)\$/g;

  function el(id) { return document.getElementById(id); }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function typeset(node, tex, display) {
    var span = document.createElement("span");
    if (window.katex) {
      try {
        window.katex.render(tex, span, Object.assign({ displayMode: !!display }, KATEX));
      } catch (err) {
        span.textContent = tex;
      }
    } else {
      span.textContent = tex;
    }
    node.appendChild(span);
  }

  // A line of the student's Markdown: text as text, $...$ and $$...$$ as math.
  function studentLine(node, text) {
    clear(node);
    var last = 0, m;
    MATH.lastIndex = 0;
    while ((m = MATH.exec(text)) !== null) {
      if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var tex = m[1] || m[2] || m[3] || m[4];
      typeset(node, tex, false);
      last = MATH.lastIndex;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  function show(s, a) {
    var student = data.students[s], id = data.answers[a], c = student.cells[id];
    el("detail-hint").hidden = true;
    el("detail-body").hidden = false;
    el("detail-title").textContent = student.name + ": " + id;
    if (!c) {
      el("detail-verdict").textContent = "not in this report";
      return;
    }
    var verdict = el("detail-verdict");
    verdict.textContent = c.verdict;
    verdict.className = "verdict-" + c.verdict;
    el("detail-points").textContent = c.points + " of " + c.max + " points" + (c.credit && c.credit !== "full" && c.credit !== "none" ? " (" + c.credit + ")" : "");
    el("detail-hand").textContent = c.hand ? "hand grade: " + c.hand + (c.differs ? " (differs)" : "") : "no hand grade";
    el("student-head").textContent = c.line ? "student wrote (line " + c.line + ")" : "student wrote";
    var line = c.text || c.claimed;
    if (line) {
      studentLine(el("student-math"), line);
    } else {
      clear(el("student-math"));
      el("student-math").textContent = c.verdict === "missing" ? "(no answer found)" : "";
    }
    el("student-source").textContent = line;
    var expected = el("expected-math");
    clear(expected);
    if (c.expected_math && c.expected) typeset(expected, c.expected, true);
    else expected.textContent = c.expected;
    el("detail-diagnosis").textContent = c.diagnosis || (c.verdict === "correct" ? "-" : "no diagnosis");
    el("detail-warnings").textContent = student.warnings.length ? "warnings: " + student.warnings.join("; ") : "";
  }

  var selected = null;
  document.getElementById("grid").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-s]");
    if (!button) return;
    if (selected) selected.classList.remove("selected");
    selected = button.parentNode;
    selected.classList.add("selected");
    show(Number(button.getAttribute("data-s")), Number(button.getAttribute("data-a")));
  });

  function matches(cell, filter) {
    if (filter === "differs") return cell.getAttribute("data-differs") === "yes";
    return cell.getAttribute("data-verdict") === filter;
  }

  function applyFilter(filter) {
    var rows = document.querySelectorAll("#grid tbody tr");
    rows.forEach(function (row) {
      var any = false;
      row.querySelectorAll("td.cell").forEach(function (cell) {
        var on = filter === "all" || matches(cell, filter);
        cell.classList.toggle("dim", !on);
        any = any || on;
      });
      row.classList.toggle("hidden", !any);
    });
    document.querySelectorAll(".filters button").forEach(function (b) {
      b.classList.toggle("on", b.getAttribute("data-filter") === filter);
    });
  }

  document.querySelectorAll(".filters button").forEach(function (b) {
    b.addEventListener("click", function () { applyFilter(b.getAttribute("data-filter")); });
  });
})();
