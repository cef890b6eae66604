// "Print": the message's print document, printed from a hidden frame so the
// person stays where they are. The frame runs no script (its sandbox has no
// allow-scripts, its policy no script source); it may only be printed.
(function () {
  "use strict";

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-print]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    link.closest("details")?.removeAttribute("open");
    document.getElementById("print-frame")?.remove();
    const frame = document.createElement("iframe");
    frame.id = "print-frame";
    frame.className = "print-frame";
    frame.setAttribute("sandbox", "allow-same-origin allow-modals");
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    frame.addEventListener("load", () => frame.contentWindow.print(), { once: true });
    frame.src = link.href;
    document.body.append(frame);
  });
})();
