// The compose page: the rich-text editor (vendored Squire), autosave, address suggestions,
// attachment checks; and the "Sent — Undo" countdown. No inline script or style (CSP).
(function () {
  "use strict";

  const AUTOSAVE_MS = 3000;
  const SUGGEST_MS = 150;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  }

  function humanSize(bytes) {
    const units = ["bytes", "KB", "MB", "GB"];
    let size = bytes;
    let unit = 0;
    while (size >= 1024 && unit < units.length - 1) {
      size /= 1024;
      unit += 1;
    }
    return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
  }

  function escapeHtml(text) {
    const div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // -- editor -------------------------------------------------------------------------

  // Squire (vendored, static/vendor/squire) edits; DOMPurify, loaded before it,
  // cleans any HTML it is given (pasted, set). The server sanitizes again on save.
  const TOGGLES = {
    bold: ["B", "bold", "removeBold"],
    italic: ["I", "italic", "removeItalic"],
    underline: ["U", "underline", "removeUnderline"],
    insertUnorderedList: ["UL", "makeUnorderedList", "removeList"],
    insertOrderedList: ["OL", "makeOrderedList", "removeList"],
  };

  function setUpEditor(form, changed) {
    const root = document.getElementById("compose-editor");
    const source = form.querySelector("textarea[name=body_html]");
    const plain = form.querySelector("textarea[name=body_text]");
    const toolbar = form.querySelector(".compose__toolbar");
    const formatField = form.querySelector("[name=format]");
    if (!root || !source || !window.Squire || !window.DOMPurify) return null;
    const initial = root.innerHTML;
    root.innerHTML = "";
    root.hidden = false;
    toolbar.hidden = false;
    form.classList.add("compose__form--scripted");
    const editor = new window.Squire(root, { blockTag: "P" });
    editor.setHTML(initial);
    const sync = () => {
      source.value = editor.getHTML();
    };
    sync();
    editor.addEventListener("input", () => {
      sync();
      changed();
    });
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-command]");
      if (!button) return;
      const command = button.dataset.command;
      if (command === "createLink") {
        const url = window.prompt(button.dataset.prompt, "https://");
        if (url && /^(https?:|mailto:)/i.test(url.trim())) editor.makeLink(url.trim());
      } else if (command === "blockquote") {
        editor.increaseQuoteLevel();
      } else if (command === "removeFormat") {
        editor.removeAllFormatting();
      } else if (TOGGLES[command]) {
        const [tag, on, off] = TOGGLES[command];
        if (editor.hasFormat(tag)) editor[off]();
        else editor[on]();
      }
      editor.focus();
      sync();
      changed();
    });
    if (formatField) {
      formatField.addEventListener("change", () => {
        if (formatField.value === "plain") {
          plain.value = root.innerText;
        } else {
          editor.setHTML(
            plain.value
              .split(/\n{2,}/)
              .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, "<br>")}</p>`)
              .join("")
          );
          sync();
        }
        form.dataset.format = formatField.value;
        changed();
      });
    }
    return { sync, editor };
  }

  // -- signature follows the From -------------------------------------------------------

  function setUpSignatures(form, rich, sync) {
    const data = document.getElementById("compose-signatures");
    const sender = form.querySelector("[name=sender]");
    const editor = rich && rich.editor;
    const plain = form.querySelector("textarea[name=body_text]");
    if (!data || !sender) return;
    const signatures = JSON.parse(data.textContent);
    let previous = sender.value;
    const swap = (text, old, fresh, blank) => {
      if (old && text.includes(old)) return text.replace(old, fresh);
      if (!old && fresh) return text.startsWith(blank) ? blank + fresh + text.slice(blank.length) : fresh + text;
      return text;
    };
    sender.addEventListener("change", () => {
      const old = signatures[previous] || { text: "", html: "" };
      const fresh = signatures[sender.value] || { text: "", html: "" };
      previous = sender.value;
      if (editor) editor.setHTML(swap(editor.getHTML(), old.html, fresh.html, "<p><br></p>"));
      plain.value = swap(plain.value, old.text, fresh.text, "\n\n");
      sync();
    });
  }

  // -- autosave -------------------------------------------------------------------------

  function setUpAutosave(form, sync) {
    const status = document.getElementById("compose-status");
    const invalid = document.getElementById("compose-invalid");
    let timer = null;
    let dirty = false;
    let busy = false;

    function payload() {
      sync();
      const data = new FormData(form);
      data.delete("files");
      data.delete("action");
      return data;
    }

    function showInvalid(addresses) {
      invalid.hidden = !addresses.length;
      invalid.textContent = format(status.dataset.invalid, { addresses: addresses.join(", ") });
    }

    async function save() {
      timer = null;
      if (busy) {
        schedule();
        return;
      }
      busy = true;
      dirty = false;
      try {
        const response = await fetch(form.dataset.autosaveUrl, {
          method: "POST",
          body: payload(),
          headers: { "X-Requested-With": "fetch" },
          credentials: "same-origin",
        });
        const answer = await response.json();
        if (!response.ok || !answer.saved) throw new Error(answer.reason || "not saved");
        status.textContent = format(status.dataset.saved, { time: answer.saved_at });
        showInvalid(answer.invalid || []);
      } catch (error) {
        dirty = true;
        status.textContent = status.dataset.failed;
        schedule(AUTOSAVE_MS * 3);
      } finally {
        busy = false;
      }
    }

    function schedule(delay) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, delay || AUTOSAVE_MS);
    }

    function changed() {
      dirty = true;
      schedule();
    }

    form.addEventListener("input", (event) => {
      if (event.target.type !== "file") changed();
    });
    form.addEventListener("submit", () => {
      sync();
      if (timer) clearTimeout(timer);
      dirty = false;
    });
    // Leaving the page (closing the tab, the phone locking): save what is unsaved.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden" && dirty) {
        dirty = false;
        navigator.sendBeacon(form.dataset.autosaveUrl, payload());
      }
    });
    return changed;
  }

  // -- address suggestions -------------------------------------------------------------------

  function setUpSuggestions(form) {
    form.querySelectorAll("input.compose__addresses").forEach((input) => {
      const list = document.getElementById(`${input.id}_suggestions`);
      let timer = null;
      let active = -1;
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-controls", list.id);
      input.setAttribute("aria-expanded", "false");

      const token = () => input.value.split(",").pop().trim();
      const close = () => {
        list.hidden = true;
        list.replaceChildren();
        active = -1;
        input.setAttribute("aria-expanded", "false");
      };
      const choose = (item) => {
        const parts = input.value.split(",");
        parts[parts.length - 1] = ` ${item.dataset.value}`;
        input.value = `${parts.join(",").trim()}, `;
        close();
        input.focus();
        input.dispatchEvent(new Event("input", { bubbles: true }));
      };
      const highlight = (index) => {
        const items = list.querySelectorAll("li");
        if (!items.length) return;
        active = (index + items.length) % items.length;
        items.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
        input.setAttribute("aria-activedescendant", items[active].id);
      };

      async function suggest() {
        const query = token();
        if (!query) return close();
        const url = `${form.dataset.addressesUrl}?q=${encodeURIComponent(query)}`;
        try {
          const response = await fetch(url, { credentials: "same-origin" });
          const { addresses } = await response.json();
          list.replaceChildren(
            ...addresses.map((found, index) => {
              const item = document.createElement("li");
              item.id = `${list.id}_${index}`;
              item.setAttribute("role", "option");
              item.dataset.value = found.name ? `${found.name} <${found.address}>` : found.address;
              item.textContent = item.dataset.value;
              item.addEventListener("mousedown", (event) => {
                event.preventDefault();
                choose(item);
              });
              return item;
            }),
          );
          list.hidden = !addresses.length;
          input.setAttribute("aria-expanded", String(!!addresses.length));
        } catch (error) {
          close();
        }
      }

      input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(suggest, SUGGEST_MS);
      });
      input.addEventListener("keydown", (event) => {
        if (list.hidden) return;
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          highlight(active + (event.key === "ArrowDown" ? 1 : -1));
        } else if (event.key === "Enter" && active >= 0) {
          event.preventDefault();
          choose(list.querySelectorAll("li")[active]);
        } else if (event.key === "Escape") {
          close();
        }
      });
      input.addEventListener("blur", () => setTimeout(close, 100));
    });
  }

  // -- attachments ----------------------------------------------------------------------

  function setUpAttachments(form) {
    const section = document.getElementById("attachments");
    const input = document.getElementById("compose-files");
    const button = document.getElementById("compose-attach");
    const error = document.getElementById("compose-file-error");
    if (!section || !input) return;
    button.hidden = true;
    const limit = Number(section.dataset.limit);

    function upload(files) {
      let total = Number(section.dataset.used);
      for (const file of files) {
        total += file.size;
        if (total > limit) {
          error.textContent = format(error.dataset.message, {
            name: file.name,
            size: humanSize(file.size),
            limit: humanSize(limit),
          });
          error.hidden = false;
          input.value = "";
          return;
        }
      }
      error.hidden = true;
      send();
    }

    // Upload with a progress bar; the server answers where to go next (the page
    // again, with the new list and any refusal said in words).
    function send() {
      const progress = document.getElementById("compose-progress");
      const data = new FormData(form);
      data.set("action", "attach");
      const request = new XMLHttpRequest();
      request.open("POST", form.getAttribute("action"));
      request.setRequestHeader("X-Upload", "progress");
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) progress.value = (100 * event.loaded) / event.total;
      });
      request.addEventListener("load", () => {
        let next = null;
        try {
          next = JSON.parse(request.responseText).next;
        } catch (problem) {
          next = null;
        }
        if (!next) {
          form.requestSubmit(button);
          return;
        }
        // The same page with only a new #fragment would not load again: reload it.
        const url = new URL(next, window.location.href);
        if (url.pathname !== window.location.pathname) {
          window.location.assign(url);
          return;
        }
        window.history.replaceState(null, "", url);
        window.location.reload();
      });
      request.addEventListener("error", () => form.requestSubmit(button));
      progress.hidden = false;
      request.send(data);
    }

    input.addEventListener("change", () => {
      if (input.files.length) upload(input.files);
    });
    section.addEventListener("dragover", (event) => {
      event.preventDefault();
      section.classList.add("compose__attachments--drop");
    });
    section.addEventListener("dragleave", () => section.classList.remove("compose__attachments--drop"));
    section.addEventListener("drop", (event) => {
      event.preventDefault();
      section.classList.remove("compose__attachments--drop");
      if (!event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      upload(input.files);
    });
  }

  // -- "Sent — Undo" ----------------------------------------------------------------------

  function setUpCountdown() {
    const page = document.getElementById("compose-sent");
    if (!page) return;
    const counter = page.querySelector(".compose-sent__seconds");
    const undo = page.querySelector(".compose-sent__undo");
    const wait = page.querySelector(".compose-sent__wait");
    let left = Number(page.dataset.secondsLeft);
    if (!counter || !left) return;
    const tick = setInterval(() => {
      left -= 1;
      counter.textContent = String(Math.max(left, 0));
      if (left <= 0) {
        clearInterval(tick);
        if (undo) undo.hidden = true;
        if (wait) wait.hidden = true;
      }
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpCountdown();
    const form = document.getElementById("compose-form");
    if (!form) return;
    let changed = () => {};
    const rich = setUpEditor(form, () => changed());
    const sync = rich ? rich.sync : () => {};
    changed = setUpAutosave(form, sync);
    setUpSignatures(form, rich, sync);
    setUpSuggestions(form);
    setUpAttachments(form);
  });
})();
