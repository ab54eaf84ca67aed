"use strict";
// The behaviour of a perfcap flamegraph. flame/svg.go writes this script
// after the frames: nested <g> elements under #frames, each holding
// <title>NAME (COUNT UNIT, SHARE%)</title>, a <rect>, an optional <text>
// label, then the <g> of its callees. The first frame is the "all" root.
var flame = (function () {
  var SVGNS = "http://www.w3.org/2000/svg";
  var CHAR_WIDTH = 12 * 0.59; // svgFontSize * svgFontWidth in svg.go
  var MATCH_FILL = "rgb(230,0,230)";
  var framesEl = document.getElementById("frames");
  var details = document.getElementById("details");
  var matchedEl = document.getElementById("matched");
  var unzoomEl = document.getElementById("unzoom");
  var searchEl = document.getElementById("search");
  var frames = [];
  var searching = false;

  var gs = framesEl.getElementsByTagName("g");
  for (var i = 0; i < gs.length; i++) {
    var g = gs[i];
    var title = g.firstElementChild.textContent;
    var cut = title.lastIndexOf(" (");
    var rect = g.firstElementChild.nextElementSibling;
    var text = rect.nextElementSibling;
    var name = title.slice(0, cut);
    var f = {
      g: g,
      rect: rect,
      text: text && text.tagName === "text" ? text : null,
      title: title,
      name: name,
      label: name.replace(/_\[[kij]\]$/, ""),
      count: parseInt(title.slice(cut + 2).replace(/,/g, ""), 10),
      x: parseFloat(rect.getAttribute("x")),
      w: parseFloat(rect.getAttribute("width")),
      y: parseFloat(rect.getAttribute("y")),
      fill: rect.getAttribute("fill"),
      matched: false
    };
    g._frame = f;
    frames.push(f);
  }
  var root = frames[0];

  // fit mirrors svgLabel in svg.go.
  function fit(label, w) {
    var chars = Math.floor((w - 6) / CHAR_WIDTH);
    if (chars < 3) return "";
    if (label.length <= chars) return label;
    return label.slice(0, chars - 2) + "..";
  }

  function place(f, x, w) {
    f.rect.setAttribute("x", x);
    f.rect.setAttribute("width", w);
    var label = fit(f.label, w);
    if (!f.text) {
      if (!label) return;
      f.text = document.createElementNS(SVGNS, "text");
      f.text.setAttribute("y", f.y + 10.5);
      f.g.insertBefore(f.text, f.rect.nextSibling);
    }
    f.text.setAttribute("x", x + 3);
    f.text.textContent = label;
  }

  function frameOf(el) {
    return el && el.parentNode ? el.parentNode._frame : undefined;
  }

  // zoom makes frame z span the full width, greys its callers and hides
  // every frame that is neither.
  function zoom(z) {
    var ratio = root.w / z.w;
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      var cl = f.g.classList;
      if (f === z || z.g.contains(f.g)) {
        cl.remove("hide", "parent");
        place(f, root.x + (f.x - z.x) * ratio, f.w * ratio);
      } else if (f.g.contains(z.g)) {
        cl.remove("hide");
        cl.add("parent");
        place(f, root.x, root.w);
      } else {
        cl.add("hide");
      }
    }
    unzoomEl.classList.toggle("hide", z === root);
  }

  function resetZoom() {
    zoom(root);
  }

  // search highlights the frames whose name matches the regular
  // expression re and reports the share of samples under them, counting
  // a match nested in another match once. It returns the number of
  // frames highlighted, or -1 if re is not a valid expression.
  function search(re) {
    var rx;
    try {
      rx = new RegExp(re);
    } catch (err) {
      matchedEl.textContent = "Invalid regular expression";
      return -1;
    }
    clearSearch();
    var n = 0, sum = 0, i, f;
    for (i = 0; i < frames.length; i++) {
      f = frames[i];
      if (rx.test(f.name)) {
        f.matched = true;
        f.rect.setAttribute("fill", MATCH_FILL);
        n++;
      }
    }
    for (i = 0; i < frames.length; i++) {
      f = frames[i];
      if (!f.matched) continue;
      var p = f.g.parentNode;
      while (p !== framesEl && !p._frame.matched) p = p.parentNode;
      if (p === framesEl) sum += f.count;
    }
    searching = true;
    searchEl.textContent = "Reset Search";
    matchedEl.textContent = "Matched: " + (100 * sum / root.count).toFixed(1) + "%";
    return n;
  }

  function clearSearch() {
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.matched) {
        f.matched = false;
        f.rect.setAttribute("fill", f.fill);
      }
    }
    searching = false;
    searchEl.textContent = "Search";
    matchedEl.textContent = " ";
  }

  function promptSearch() {
    var re = prompt("Search for (regular expression):", "");
    if (re) search(re);
  }

  framesEl.addEventListener("click", function (ev) {
    var f = frameOf(ev.target);
    if (f) zoom(f);
  });
  framesEl.addEventListener("mouseover", function (ev) {
    var f = frameOf(ev.target);
    if (f) details.textContent = "Function: " + f.title;
  });
  framesEl.addEventListener("mouseout", function () {
    details.textContent = " ";
  });
  unzoomEl.addEventListener("click", resetZoom);
  searchEl.addEventListener("click", function () {
    if (searching) clearSearch();
    else promptSearch();
  });
  document.addEventListener("keydown", function (ev) {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "f") {
      ev.preventDefault();
      promptSearch();
    } else if (ev.key === "Escape") {
      resetZoom();
      clearSearch();
    }
  });

  var initial = new URLSearchParams(location.search).get("s");
  if (initial) search(initial);

  return { search: search, clearSearch: clearSearch, zoom: zoom, resetZoom: resetZoom };
})();
