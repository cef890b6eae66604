// Desktop notifications of new mail, a choice of this browser (localStorage),
// made on the settings page. Lists with live updates ask the server what
// arrived on each change; nothing is shown while the page has the focus.
(function () {
  "use strict";

  const KEY = "courriel.notifications";
  const supported = "Notification" in window;

  function wanted() {
    return supported && localStorage.getItem(KEY) === "on" && Notification.permission === "granted";
  }

  let after = null;
  let asking = false;

  async function ask(source) {
    if (asking) return;
    asking = true;
    try {
      const url = after === null ? source : `${source}?after=${after}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const news = await response.json();
      const baseline = after === null;
      after = news.newest;
      if (baseline || !news.count || document.hasFocus()) return;
      show(news);
    } catch (error) {
      // Offline or signed out: the next change asks again.
    } finally {
      asking = false;
    }
  }

  function show(news) {
    try {
      // One tag: several open tabs replace each other's notification, not stack.
      const notification = new Notification(news.title, { body: news.body, tag: "courriel-new-mail" });
      notification.onclick = () => {
        window.focus();
        window.location.assign(news.url);
        notification.close();
      };
    } catch (error) {
      // Phones want a service worker for notifications: none here, so none shown.
    }
  }

  function start() {
    const live = document.querySelector("[data-new-mail]");
    if (!live || !wanted()) return;
    ask(live.dataset.newMail);
    live.addEventListener("htmx:sseMessage", () => ask(live.dataset.newMail));
  }

  // The settings page's switch.
  function describe(panel) {
    const state = !supported
      ? "unsupported"
      : Notification.permission === "denied"
        ? "blocked"
        : wanted()
          ? "on"
          : "off";
    panel.querySelector("[data-notifications-state]").textContent = panel.dataset[state];
    const button = panel.querySelector("button");
    button.hidden = state === "unsupported" || state === "blocked";
    button.textContent = state === "on" ? panel.dataset.turnOff : panel.dataset.turnOn;
  }

  function setUp(panel) {
    panel.hidden = false;
    describe(panel);
    panel.querySelector("button").addEventListener("click", async () => {
      if (wanted()) {
        localStorage.removeItem(KEY);
      } else if ((await Notification.requestPermission()) === "granted") {
        localStorage.setItem(KEY, "on");
      }
      describe(panel);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    start();
    document.querySelectorAll("[data-notifications-panel]").forEach(setUp);
  });
})();
