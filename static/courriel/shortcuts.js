// Gmail-style keyboard shortcuts. The help dialog (?) lists them.
(function () {
  "use strict";

  function typing(event) {
    const target = event.target;
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function items() {
    return Array.from(document.querySelectorAll(".message-list__item"));
  }

  function current() {
    return document.querySelector(".message-list__item.is-current");
  }

  function move(step) {
    const list = items();
    if (!list.length) return;
    const index = Math.min(Math.max(list.indexOf(current()) + step, 0), list.length - 1);
    list.forEach((item) => item.classList.remove("is-current"));
    list[index].classList.add("is-current");
    const link = list[index].querySelector(".message-list__link");
    link.focus();
    // With the reading pane open, moving opens (reading_pane.js takes the click).
    if (document.querySelector(".mailbox--pane")) link.click();
  }

  function submitAction(action) {
    const messageForm = document.querySelector("form.message__actions, form.message__act");
    const bulkForm = document.getElementById("bulk-form");
    const item = current();
    let form = messageForm;
    // In a list, as in Gmail: the rows ticked (x), else the current row.
    if (!form && bulkForm && (selected().length || item)) {
      if (!selected().length) item.querySelector(".message-list__select").checked = true;
      form = bulkForm;
    }
    const button = form?.querySelector(`button[name="action"][value="${action}"]`);
    if (button) {
      form.requestSubmit(button);
      return;
    }
    // A message's own form for it (Flag): in a conversation, the newest message's.
    const own = [...document.querySelectorAll(`form[data-shortcut="${action}"]`)].pop();
    if (own) own.requestSubmit();
  }

  function selected() {
    return document.querySelectorAll(".message-list__select:checked");
  }

  function toggleCurrent() {
    const box = current()?.querySelector(".message-list__select");
    if (!box) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function open() {
    const item = current();
    if (item) item.querySelector(".message-list__link").click();
  }

  function follow(name) {
    const link = document.querySelector(`a[data-shortcut="${name}"]`);
    if (link) link.click();
  }

  const actions = {
    j: () => move(1),
    k: () => move(-1),
    o: open,
    Enter: open,
    u: () => document.querySelector(".message__back a")?.click(),
    e: () => submitAction("archive"),
    "#": () => submitAction("delete"),
    s: () => submitAction("flag"),
    x: toggleCurrent,
    z: () => document.querySelector('button[data-shortcut="undo"]')?.click(),
    I: () => submitAction("read"),
    U: () => submitAction("unread"),
    r: () => follow("reply"),
    a: () => follow("reply_all"),
    f: () => follow("forward"),
    c: () => follow("compose"),
    "/": () => document.getElementById("search-box")?.focus(),
    "?": () => {
      const help = document.getElementById("shortcuts-help");
      if (help) help.open ? help.close() : help.showModal();
    },
  };

  // The bulk bar's "select all on this page" box: shown only where this script runs.
  function syncSelectAll() {
    const all = document.querySelector(".bulk__all input");
    if (!all) return;
    const boxes = document.querySelectorAll(".message-list__select");
    const ticked = selected().length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  document.addEventListener("change", (event) => {
    if (event.target.closest(".bulk__all")) {
      const on = event.target.checked;
      document.querySelectorAll(".message-list__select").forEach((box) => (box.checked = on));
    }
    syncSelectAll();
  });

  function revealSelectAll() {
    document.querySelectorAll(".bulk__all[hidden]").forEach((label) => (label.hidden = false));
    syncSelectAll();
  }
  document.addEventListener("DOMContentLoaded", revealSelectAll);
  document.addEventListener("htmx:afterSettle", revealSelectAll); // live updates redraw the list

  document.addEventListener("keydown", (event) => {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const action = actions[event.key];
    if (!action) return;
    if (event.key === "Enter" && !current()) return;
    event.preventDefault();
    action();
  });
})();
