// Drag messages onto a folder (desktop): the dragged row, or every selected row
// if it is one of them, is moved through the list's own bulk form.
(function () {
  "use strict";
  var dragged = null;

  function selectedIds(row) {
    var box = row.querySelector(".message-list__select");
    if (box && box.checked) {
      return Array.prototype.map.call(
        document.querySelectorAll(".message-list__select:checked"),
        function (checked) { return checked.value; }
      );
    }
    return [row.dataset.message];
  }

  function moveTo(folderId, ids) {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var post = document.createElement("form");
    post.method = "post";
    post.action = form.getAttribute("action");  // form.action is its "action" buttons
    post.hidden = true;
    function field(name, value) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      post.appendChild(input);
    }
    field("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    field("next", form.querySelector("[name=next]").value);
    field("action", "move");
    field("destination", folderId);
    ids.forEach(function (id) { field("ids", id); });
    document.body.appendChild(post);
    post.submit();
  }

  document.addEventListener("dragstart", function (event) {
    var row = event.target.closest && event.target.closest("[data-message]");
    if (!row) return;
    dragged = selectedIds(row);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.join(","));
  });
  document.addEventListener("dragend", function () { dragged = null; });
  document.addEventListener("dragover", function (event) {
    var target = dragged && event.target.closest && event.target.closest("[data-drop-folder]");
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("folder-list__item--drop");
  });
  document.addEventListener("dragleave", function (event) {
    var target = event.target.closest && event.target.closest("[data-drop-folder]");
    if (target) target.classList.remove("folder-list__item--drop");
  });
  document.addEventListener("drop", function (event) {
    var target = dragged && event.target.closest && event.target.closest("[data-drop-folder]");
    if (!target) return;
    event.preventDefault();
    moveTo(target.dataset.dropFolder, dragged);
  });
})();
