/* Draws a reach page's neighbourhood picture with Cytoscape.js from the JSON at the
   container's data-url: nodes coloured by their tie to the centre (colours come from the
   legend on the page), edge width by strength, the centre highlighted, a teammate square
   and labelled with how many people they know (the JSON's "note"); clicking a person
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
          label: n.note ? n.name + "\n" + n.note : n.name,
          colour: colours[n.kind] || colours.other || "#98a2b3",
          centre: n.kind === "centre" ? 1 : 0, teammate: n.teammate ? 1 : 0,
          ring: n.ring || 0 } });
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
            "background-color": "data(colour)", label: "data(label)", "font-size": 10,
            "text-wrap": "wrap", "text-max-width": 140,
            width: 18, height: 18, "text-valign": "bottom", "text-margin-y": 3, color: "#1d2430" } },
          { selector: "node[teammate = 1]", style: { shape: "round-rectangle" } },
          { selector: "node[centre = 1]", style: {
            width: 32, height: 32, "border-width": 4, "border-color": "#f79009",
            "font-size": 13, "font-weight": "bold" } },
          { selector: "edge", style: {
            width: "data(width)", "line-color": "data(colour)", opacity: 0.7, "curve-style": "haystack" } }
        ],
        // Rings: the centre, the people it knows, the people those know.
        layout: graph.nodes.length > 1
          ? { name: "concentric", animate: false, minNodeSpacing: 28, levelWidth: function () { return 1; },
              concentric: function (node) { return 2 - node.data("ring"); } }
          : { name: "grid", animate: false },
        wheelSensitivity: 0.2
      });
      // A tooltip names the person (and how many people a teammate knows) on hover.
      cy.on("mouseover", "node", function (evt) { box.title = evt.target.data("label"); });
      cy.on("mouseout", "node", function () { box.title = ""; });
      cy.on("tap", "node", function (evt) {
        var url = evt.target.data("url");
        if (url && !evt.target.data("centre")) window.location.href = url;
      });
      window.__rapportGraph = cy;
      box.dataset.drawn = String(graph.nodes.length);
    });
})();
