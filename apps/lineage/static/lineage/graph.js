// The lineage view: lays out the graph in #lineage-data with dagre and draws it as SVG.
// Nodes are links (to the catalog entity, or to the node's own view); the start node is outlined.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("lineage-data").textContent);
  var holder = document.getElementById("lineage-graph");
  var status = document.getElementById("lineage-status");

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  var g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 70, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(function () { return {}; });
  data.nodes.forEach(function (n) {
    var label = n.label.length > 48 ? "…" + n.label.slice(-47) : n.label;
    g.setNode(n.id, { width: Math.max(110, 7.2 * Math.max(label.length, n.namespace.length * 0.8) + 28),
                      height: 44, label: label, node: n });
  });
  data.edges.forEach(function (e) { if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to); });
  dagre.layout(g);

  var size = g.graph();
  var svg = el("svg", { width: Math.max(size.width, 200), height: Math.max(size.height, 80),
                        viewBox: "0 0 " + Math.max(size.width, 200) + " " + Math.max(size.height, 80),
                        role: "img", "aria-label": "lineage graph" }, holder);
  var defs = el("defs", {}, svg);
  var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7,
                              markerHeight: 7, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#667" }, marker);

  var drawnEdges = 0;
  g.edges().forEach(function (e) {
    var points = g.edge(e).points;
    var d = points.map(function (p, i) { return (i ? "L" : "M") + p.x.toFixed(1) + " " + p.y.toFixed(1); }).join(" ");
    el("path", { d: d, class: "lineage-edge", fill: "none", stroke: "#889", "stroke-width": 1.4,
                 "marker-end": "url(#arrow)" }, svg);
    drawnEdges += 1;
  });

  var drawn = 0;
  g.nodes().forEach(function (id) {
    var box = g.node(id);
    var n = box.node;
    var link = el("a", { href: n.href, class: "lineage-node lineage-" + n.type.toLowerCase(), "data-id": n.id }, svg);
    var title = el("title", {}, link);
    title.textContent = n.id + (n.urn ? "\n" + n.urn : "");
    el("rect", { x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height,
                 rx: n.type === "JOB" ? 20 : 4, fill: n.type === "JOB" ? "#fdf3e1" : "#e8f1fb",
                 stroke: n.start ? "#d9480f" : (n.type === "JOB" ? "#c9a15a" : "#5b8cc4"),
                 "stroke-width": n.start ? 3 : 1.2 }, link);
    var name = el("text", { x: box.x, y: box.y - 3, "text-anchor": "middle", "font-size": 12,
                            "font-weight": n.start ? "bold" : "normal", fill: "#123" }, link);
    name.textContent = box.label;
    var space = el("text", { x: box.x, y: box.y + 13, "text-anchor": "middle", "font-size": 10, fill: "#667" }, link);
    space.textContent = (n.type === "JOB" ? "job · " : "") + n.namespace;
    drawn += 1;
  });

  svg.setAttribute("data-rendered-nodes", String(drawn));
  svg.setAttribute("data-rendered-edges", String(drawnEdges));
  status.textContent = drawn + " nodes, " + drawnEdges + " edges" + (data.truncated ? " (cut at the node limit)" : "");
  document.body.setAttribute("data-lineage-ready", "true");
})();
