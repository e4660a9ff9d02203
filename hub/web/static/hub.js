/* hub pages' one script: suggestions while typing on the home page (the persisted query
   "Suggest" by its hash, GET to /graphql on this origin) and the print button. Every page
   works without it. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-print]")) window.print();
  });
  var form = document.querySelector("form[data-suggest]");
  if (!form || !window.fetch || !window.Map) return;
  var input = form.querySelector("input[type=search]");
  var list = document.getElementById("suggestions");
  var status = document.getElementById("suggest-status");
  var hash = form.getAttribute("data-suggest");
  var cache = new Map();
  var timer = 0;
  var controller = null;
  var latest = "";

  function address(prefix) {
    return "/graphql?operationName=Suggest&variables=" +
      encodeURIComponent(JSON.stringify({ prefix: prefix })) + "&extensions=" +
      encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
  }

  function links() {
    return Array.prototype.slice.call(list.querySelectorAll("a"));
  }

  function hide() {
    list.hidden = true;
    list.textContent = "";
  }

  function show(prefix, items) {
    if (prefix !== latest) return;
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/services/" + encodeURIComponent(item.code);
      a.textContent = item.name;
      var org = document.createElement("span");
      org.textContent = item.org.name;
      a.appendChild(org);
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    status.textContent = items.length ? items.length + " 条建议，按↓键选择" : "";
  }

  function suggest() {
    var prefix = input.value.trim();
    latest = prefix;
    if (!prefix || prefix.length > 50) { hide(); status.textContent = ""; return; }
    if (cache.has(prefix)) { show(prefix, cache.get(prefix)); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(address(prefix), { headers: { Accept: "application/json" }, signal: controller.signal })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var items = (body.data && body.data.suggestServices) || [];
        if (cache.size >= 100) cache.delete(cache.keys().next().value);
        cache.set(prefix, items);
        show(prefix, items);
      })
      .catch(function () { /* aborted or offline: the form still searches */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && !list.hidden) {
      event.preventDefault();
      links()[0].focus();
    } else if (event.key === "Escape") {
      hide();
    }
  });
  list.addEventListener("keydown", function (event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < all.length - 1) {
      event.preventDefault();
      all[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? all[at - 1] : input).focus();
    } else if (event.key === "Escape") {
      hide();
      input.focus();
    }
  });
})();
