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
  // Positions by ring: the first ring evenly round the centre, each outer person in a
  // fan just outside the first-ring person they are tied to (the first such tie).
  function rings(graph) {
    var ring = {}, inner = [], outer = [], parent = {}, children = {}, at = {};
    graph.nodes.forEach(function (n) {
      ring[n.id] = n.ring || 0;
      if (ring[n.id] === 1) inner.push(n.id);
      else if (ring[n.id] === 2) outer.push(n.id);
      else at[n.id] = { x: 0, y: 0 };
    });
    graph.edges.forEach(function (e) {
      [[e.source, e.target], [e.target, e.source]].forEach(function (pair) {
        if (ring[pair[0]] === 2 && ring[pair[1]] === 1 && !(pair[0] in parent)) {
          parent[pair[0]] = pair[1];
        }
      });
    });
    var step = 2 * Math.PI / Math.max(inner.length, 1);
    var r1 = Math.max(110, inner.length * 9), r2 = r1 + 120;
    var angle = {};
    inner.forEach(function (id, i) {
      angle[id] = i * step - Math.PI / 2;
      at[id] = { x: r1 * Math.cos(angle[id]), y: r1 * Math.sin(angle[id]) };
      children[id] = [];
    });
    var loose = [];
    outer.forEach(function (id) {
      if (parent[id] in children) children[parent[id]].push(id); else loose.push(id);
    });
    inner.forEach(function (id) {
      var kids = children[id], spread = Math.min(step * 0.9, kids.length * 0.16);
      kids.forEach(function (kid, j) {
        var a = angle[id] + (kids.length > 1 ? (j / (kids.length - 1) - 0.5) * spread : 0);
        var r = r2 + (j % 2) * 30;
        at[kid] = { x: r * Math.cos(a), y: r * Math.sin(a) };
      });
    });
    loose.forEach(function (id, i) {
      var a = 2 * Math.PI * i / loose.length;
      at[id] = { x: (r2 + 90) * Math.cos(a), y: (r2 + 90) * Math.sin(a) };
    });
    return at;
  }
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
        // Rings: the centre, the people it knows, the people those know, each of the
        // outer people beside the one they were reached through.
        layout: graph.nodes.length > 1
          ? { name: "preset", animate: false, fit: true, padding: 30, positions: rings(graph) }
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
