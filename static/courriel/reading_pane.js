// The reading pane (a choice of this browser, for wide screens): a message or a
// conversation opens beside the list instead of in place of it. The pane shows
// the same page the link leads to, its article only; the body stays in its
// sandboxed frame. Modified clicks (new tab, new window) are left alone.
(function () {
  "use strict";

  const KEY = "courriel.readingPane";
  const wide = window.matchMedia("(min-width: 64rem)");
  const ROW_LINKS = ".message-list__link";

  function wanted() {
    return localStorage.getItem(KEY) === "on";
  }

  function active() {
    return wanted() && wide.matches && document.querySelector(".mailbox") !== null;
  }

  function pane() {
    let found = document.getElementById("reading-pane");
    if (!found) {
      const mailbox = document.querySelector(".mailbox");
      found = document.createElement("section");
      found.id = "reading-pane";
      found.className = "reading-pane";
      found.tabIndex = -1;
      found.setAttribute("aria-label", mailbox.dataset.paneLabel || "");
      found.textContent = mailbox.dataset.paneEmpty || "";
      mailbox.append(found);
    }
    return found;
  }

  function apply() {
    const mailbox = document.querySelector(".mailbox");
    const toggle = document.querySelector("[data-reading-pane-toggle]");
    if (!mailbox) return;
    mailbox.classList.toggle("mailbox--pane", active());
    if (active()) pane();
    else document.getElementById("reading-pane")?.remove();
    if (toggle) {
      toggle.hidden = !wide.matches;
      toggle.setAttribute("aria-pressed", String(wanted()));
    }
  }

  async function show(link) {
    const target = pane();
    target.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(link.href, { headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const content = page.querySelector("article.message, section.conversation, main .card");
      target.replaceChildren(...(content ? [document.importNode(content, true)] : []));
      window.htmx?.process(target); // a conversation's folded messages open on demand
      target.scrollTop = 0;
      target.focus({ preventScroll: true });
      if (response.ok) {
        link.closest(".message-list__item")?.classList.remove("message-list__item--unread");
      }
    } catch (error) {
      target.textContent = document.querySelector(".mailbox").dataset.paneFailed || "";
    } finally {
      target.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-reading-pane-toggle]");
    if (toggle) {
      if (wanted()) localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, "on");
      apply();
      return;
    }
    const link = event.target.closest(ROW_LINKS);
    if (!link || !active() || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    // The open row is also the current one: j and k go on from it (shortcuts.js).
    document
      .querySelectorAll(".message-list__item.is-open, .message-list__item.is-current")
      .forEach((row) => row.classList.remove("is-open", "is-current"));
    link.closest(".message-list__item")?.classList.add("is-open", "is-current");
    show(link);
  });

  wide.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", apply);
})();
