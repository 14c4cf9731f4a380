// Intake page: while the clerk types the matter, show similar published write-ups and solved cases
// (library app, /library/suggest/). Only the title and description text and the window id are sent —
// never the requester's data. "按此案例办理" records the choice under the form's idempotency key; the
// library attaches it to the case once the intake commits.
(function () {
  var form = document.getElementById("intake-form");
  var box = document.getElementById("library-suggestions");
  if (!form || !box) { return; }
  function field(name) { return form.elements.namedItem(name); }
  function value(name) { var f = field(name); return f ? f.value : ""; }
  var timer = null;
  var last = "";
  function csrf() { var t = field("csrfmiddlewaretoken"); return t ? t.value : ""; }

  function render(results) {
    box.replaceChildren();
    if (!results.length) { box.hidden = true; return; }
    var title = document.createElement("strong");
    title.textContent = box.dataset.title;
    var list = document.createElement("ul");
    results.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "suggestion suggestion-" + r.kind;
      var head = document.createElement("span");
      head.className = "suggestion-title";
      head.textContent = "[" + (r.kind === "writeup" ? box.dataset.writeupText : box.dataset.caseText) + "] " + r.title;
      var by = document.createElement("span");
      by.className = "suggestion-by";
      by.textContent = r.by ? " · " + r.by + (r.year ? " · " + r.year : "") : "";
      var how = document.createElement("div");
      how.className = "suggestion-solution hint";
      how.textContent = r.solution;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "follow";
      button.textContent = box.dataset.followText;
      button.addEventListener("click", function () {
        var body = new URLSearchParams({ kind: r.kind, id: String(r.id), key: value("idempotency_key") });
        fetch(box.dataset.followUrl, {
          method: "POST", credentials: "same-origin", body: body,
          headers: { "X-CSRFToken": csrf(), Accept: "application/json" }
        }).then(function (resp) {
          if (resp.ok) { button.textContent = box.dataset.followedText; button.disabled = true; li.classList.add("followed"); }
        });
      });
      li.append(head, by, " ", button, how);
      list.appendChild(li);
    });
    box.append(title, list);
    box.hidden = false;
  }

  function lookup() {
    var text = (value("title") + "\n" + value("description")).trim();
    if (text.length < 2 || text === last) { return; }
    last = text;
    var params = new URLSearchParams({ q: text.slice(0, 500), window: value("window") });
    fetch(box.dataset.suggestUrl + "?" + params, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { render(data.results || []); })
      .catch(function () { /* suggestions are a help, never a block */ });
  }
  function later() { clearTimeout(timer); timer = setTimeout(lookup, 400); }
  ["title", "description"].forEach(function (name) {
    var f = field(name);
    if (f) { f.addEventListener("input", later); }
  });
})();
