/* Draws a reach page's neighbourhood picture with Cytoscape.js from the JSON at the
   container's data-url: nodes coloured by their tie to the centre (colours come from the
   legend on the page), edge width by strength, the centre highlighted; clicking a person
   opens their reach page. The instance is window.__rapportGraph (used by the tests). */
(function () {
  "use strict";
  var box = document.getElementById("reach-graph");
  if (!box || typeof cytoscape !== "function") return;
  var colours = {};
  document.querySelectorAll(".legend [data-kind]").forEach(function (li) {
    colours[li.dataset.kind] = li.dataset.colour;
  });
  fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (graph) {
      var elements = [];
      graph.nodes.forEach(function (n) {
        elements.push({ group: "nodes", data: {
          id: n.id, name: n.name, url: n.url, kind: n.kind,
          colour: colours[n.kind] || colours.other || "#98a2b3",
          centre: n.kind === "centre" ? 1 : 0, teammate: n.teammate ? 1 : 0 } });
      });
      graph.edges.forEach(function (e, i) {
        elements.push({ group: "edges", data: {
          id: "e" + i, source: e.source, target: e.target,
          width: 1 + 5 * e.strength, colour: colours[e.kind] || "#d0d5dd" } });
      });
      var cy = cytoscape({
        container: box,
        elements: elements,
        style: [
          { selector: "node", style: {
            "background-color": "data(colour)", label: "data(name)", "font-size": 10,
            width: 18, height: 18, "text-valign": "bottom", "text-margin-y": 3, color: "#1d2430" } },
          { selector: "node[teammate = 1]", style: { shape: "round-rectangle" } },
          { selector: "node[centre = 1]", style: {
            width: 32, height: 32, "border-width": 4, "border-color": "#f79009",
            "font-size": 13, "font-weight": "bold" } },
          { selector: "edge", style: {
            width: "data(width)", "line-color": "data(colour)", opacity: 0.7, "curve-style": "haystack" } }
        ],
        layout: { name: graph.nodes.length > 1 ? "cose" : "grid", animate: false, randomize: false },
        wheelSensitivity: 0.2
      });
      cy.on("tap", "node", function (evt) {
        var url = evt.target.data("url");
        if (url && !evt.target.data("centre")) window.location.href = url;
      });
      window.__rapportGraph = cy;
      box.dataset.drawn = String(graph.nodes.length);
    });
})();
