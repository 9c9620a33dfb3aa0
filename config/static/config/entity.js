// The entity page's column lineage, fetched when asked for (the governed Marquez-compatible REST read).
(function () {
  "use strict";
  var box = document.getElementById("column-lineage");
  if (!box) return;
  var out = box.querySelector(".dm-column-lineage");
  function name(id) { // datasetField:<namespace>:<dataset>:<field> → dataset.field
    var parts = id.replace(/^datasetField:/, "").split(":");
    return parts.slice(-2).join(".");
  }
  function row(table, field, from, to) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-field", field);
    [field, from.join(", ") || "—", to.join(", ") || "—"].forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    });
    table.appendChild(tr);
  }
  box.addEventListener("toggle", function () {
    if (!box.open || box.getAttribute("data-loaded")) return;
    box.setAttribute("data-loaded", "loading");
    fetch(box.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        out.textContent = "";
        if (!answer.ok) { out.textContent = answer.body.message || "Column lineage is not available."; return; }
        var dataset = box.getAttribute("data-dataset");
        var table = document.createElement("table");
        var head = document.createElement("tr");
        ["column", "derived from", "feeds"].forEach(function (t) { var th = document.createElement("th"); th.textContent = t; head.appendChild(th); });
        table.appendChild(head);
        var shown = 0;
        (answer.body.graph || []).forEach(function (node) {
          if (node.type !== "DATASET_FIELD" || node.id.indexOf("datasetField:" + dataset + ":") !== 0) return;
          row(table, node.data.field, (node.inEdges || []).map(function (e) { return name(e.origin); }),
              (node.outEdges || []).map(function (e) { return name(e.destination); }));
          shown += 1;
        });
        if (shown) out.appendChild(table); else out.textContent = "No column lineage reported for this dataset.";
        box.setAttribute("data-loaded", "true");
      })
      .catch(function (e) { out.textContent = "Column lineage could not be read: " + e; });
  });
})();
