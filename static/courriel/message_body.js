// A message body at its content's height: the page scrolls, not a box inside it.
// The body document runs no script (its CSP, and a sandbox without allow-scripts);
// its frame is same-origin only so that this page can measure it. Without this
// script, or for a body it cannot read, the stylesheet's fixed, scrolling box stays.
(function () {
  "use strict";

  const FRAMES = "iframe.message__body";
  const frameOf = new WeakMap(); // a body document -> its frame
  const observedBody = new WeakMap(); // a frame -> the body element observed in it
  const lastWidth = new WeakMap();
  const waiting = new Set(); // frames whose document is not parsed yet
  const pending = new Set(); // frames to measure at the next animation frame
  let ticking = false;

  function bodyDocument(frame) {
    const doc = frame.contentDocument; // null once it shows another origin
    if (!doc || !doc.body || doc.URL === "about:blank") return null;
    return doc;
  }

  function fit(frame) {
    const doc = bodyDocument(frame);
    if (!doc) {
      frame.style.height = ""; // back to the stylesheet's box
      return;
    }
    if (!frame.offsetWidth) return; // in a closed conversation message: measured once shown
    // Measured in a viewport of zero height, so that content sized on the frame
    // (height: 100%, 100vh) takes its least room: measured in the frame's own
    // height, a body could never shrink, and one of 100vh would grow each time.
    // Padding keeps the frame's outer box meanwhile, so the page neither moves
    // nor loses its scroll position.
    const outer = frame.offsetHeight;
    const border = outer - frame.clientHeight;
    frame.style.paddingBottom = outer - border + "px";
    const content = doc.documentElement.scrollHeight;
    frame.style.paddingBottom = "";
    frame.style.height = content + border + "px";
    // A horizontal scrollbar (a wide table) takes its height from the viewport:
    // one correction, not a loop (content that follows the frame's height
    // cannot fit whatever the height; it keeps a scrollbar).
    const short = doc.documentElement.scrollHeight - doc.documentElement.clientHeight;
    if (short > 0) frame.style.height = content + border + short + "px";
  }

  // Measuring waits for the next frame: resizing from inside the observer's
  // callback would re-trigger it in the same rendering step.
  function schedule(frame) {
    pending.add(frame);
    tick();
  }

  function tick() {
    if (ticking) return;
    ticking = true;
    requestAnimationFrame(function () {
      ticking = false;
      waiting.forEach(function (frame) {
        const doc = bodyDocument(frame);
        if (doc && doc.readyState !== "loading") watch(frame);
      });
      const frames = Array.from(pending);
      pending.clear();
      frames.forEach(fit);
      if (waiting.size) tick();
    });
  }

  const observer = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      const target = entry.target;
      if (target.matches(FRAMES)) {
        // Its own height changes when it is fitted: only a new width calls for a measure.
        if (lastWidth.get(target) === entry.contentRect.width) return;
        lastWidth.set(target, entry.contentRect.width);
        schedule(target);
      } else {
        const frame = frameOf.get(target.ownerDocument);
        if (frame) schedule(frame); // late images, fonts, a window resize
      }
    });
  });

  // Observe the (new) body document; measuring follows.
  function watch(frame) {
    waiting.delete(frame);
    const doc = bodyDocument(frame);
    const previous = observedBody.get(frame);
    if (doc && previous !== doc.body) {
      if (previous) observer.unobserve(previous);
      frameOf.set(doc, frame);
      observedBody.set(frame, doc.body);
      observer.observe(doc.body);
    }
    schedule(frame);
  }

  function start(root) {
    const frames = Array.from(root.querySelectorAll(FRAMES));
    if (root.matches && root.matches(FRAMES)) frames.push(root); // a swapped-in frame itself
    frames.forEach(function (frame) {
      observer.observe(frame);
      waiting.add(frame); // measured as soon as parsed, before its images load
    });
    tick();
  }

  // Load does not bubble; captured, it comes from every frame, htmx's too.
  document.addEventListener(
    "load",
    function (event) {
      if (event.target.matches && event.target.matches(FRAMES)) watch(event.target);
    },
    true
  );
  document.addEventListener("htmx:load", function (event) {
    start(event.detail.elt);
  });
  start(document);
})();
