// The deal board: drag a card to another stage and htmx posts the move, then swaps the
// board back in as the server has it (so a refused move puts the card back, with the
// reason). Dropping on a won or lost stage first asks why, in a small dialog.
(function () {
  "use strict";
  let pending = null;

  function post(card, stage, extra) {
    const values = Object.assign({ stage: stage, view: "board" }, extra || {});
    return htmx.ajax("POST", card.dataset.moveUrl, {
      target: "#board",
      swap: "outerHTML",
      values: values,
    });
  }

  function reload() {
    const board = document.getElementById("board");
    return htmx.ajax("GET", board.dataset.boardUrl, { target: "#board", swap: "outerHTML" });
  }

  function askReason(card, to) {
    pending = { card: card, stage: to.dataset.stage };
    document.getElementById("close-form").reset();
    document.getElementById("close-stage").textContent = to.dataset.stageName;
    document.getElementById("close-dialog").showModal();
  }

  function setUp(root) {
    root.querySelectorAll(".deal-cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: "deals",
        sort: false,
        forceFallback: true,
        animation: 120,
        onEnd: function (evt) {
          if (evt.from === evt.to) return;
          if (evt.to.dataset.closed === "1") askReason(evt.item, evt.to);
          else post(evt.item, evt.to.dataset.stage);
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const dialog = document.getElementById("close-dialog");
    const form = document.getElementById("close-form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!pending) return;
      const data = new FormData(form);
      const move = pending;
      pending = null;
      dialog.close();
      post(move.card, move.stage, { reason: data.get("reason"), note: data.get("note") });
    });
    document.getElementById("close-cancel").addEventListener("click", function () {
      pending = null;
      dialog.close();
      reload();
    });
    dialog.addEventListener("cancel", function () {
      pending = null;
      reload();
    });
    setUp(document.body);
    htmx.onLoad(setUp);
  });
})();
