/* Intake form: requester kind toggle, category search, same-requester warning, one submit only.
   Everything here is an aid: without JavaScript the form still works (datalist of the county's
   categories, warning after submit, the server's idempotency token against double submits). */
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) { return; }

  function field(name) { return form.elements.namedItem(name); }
  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  function windowId() { var w = field("window"); return w ? w.value : ""; }

  // Requester kind: show the id number for a person, credit code and contact for an enterprise.
  function currentKind() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : "person";
  }
  function applyKind() {
    var kind = currentKind();
    form.querySelectorAll("[data-kind]").forEach(function (input) {
      var wrapper = input.closest(".field") || input;
      wrapper.hidden = input.getAttribute("data-kind") !== kind;
    });
  }
  form.querySelectorAll("input[name=kind]").forEach(function (radio) {
    radio.addEventListener("change", function () { applyKind(); checkSimilar(); });
  });
  applyKind();

  // Category search against the JSON view (scoped to the chosen window's county).
  var category = field("category");
  var options = document.getElementById("category-options");
  var searchCategories = debounce(function () {
    var url = form.dataset.categoryUrl + "?" + new URLSearchParams({ q: category.value.split(" ")[0], window: windowId() });
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        options.replaceChildren.apply(options, data.results.map(function (c) {
          var option = document.createElement("option");
          option.value = c.code + " " + c.name;
          option.textContent = c.parent ? c.parent + " / " + c.name : c.name;
          return option;
        }));
      })
      .catch(function () { /* keep the server-rendered list */ });
  }, 200);
  if (category && options) { category.addEventListener("input", searchCategories); }

  // The warning (not a block) when the same requester has an open case (in the same category).
  var warning = document.getElementById("similar-warning");
  var checkSimilar = debounce(function () {
    var kind = currentKind();
    var params = new URLSearchParams({
      phone: field("phone").value,
      id_number: kind === "person" ? field("id_number").value : "",
      credit_code: kind === "enterprise" ? field("credit_code").value : "",
      category: category ? category.value : "",
      window: windowId()
    });
    if (!params.get("phone") && !params.get("id_number") && !params.get("credit_code")) { return; }
    // A POST: phone and id numbers never go into a URL (access logs, proxies, history keep URLs).
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.dataset.similarUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      body: params
    })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        if (!data.results.length) { warning.hidden = true; warning.replaceChildren(); return; }
        var title = document.createElement("strong");
        // The texts come translated from the template (data attributes of the warning box).
        title.textContent = data.same_category ? warning.dataset.sameCategoryText : warning.dataset.anyText;
        var list = document.createElement("ul");
        data.results.forEach(function (c) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = c.url;
          link.textContent = c.tracking_number;
          item.append(link, " " + c.title + " · " + (c.category || "") + " · " + c.status);
          list.append(item);
        });
        warning.replaceChildren(title, list);
        warning.hidden = false;
      })
      .catch(function () { /* the server repeats the warning after submit */ });
  }, 300);
  ["phone", "id_number", "credit_code", "category", "window"].forEach(function (name) {
    var input = field(name);
    if (input) { input.addEventListener("change", checkSimilar); }
  });

  // Ctrl+Enter in a text area submits (Enter in a single-line field already does).
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA") {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // One submit per rendered form; the server's idempotency token covers what slips through.
  form.addEventListener("submit", function (event) {
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    var button = document.getElementById("intake-submit");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });
})();
