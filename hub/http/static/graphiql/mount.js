// hub's GraphiQL: mounts the vendored GraphiQL (loaded before this script, with React and
// ReactDOM) on #graphiql, sending operations to the endpoint the element names, on this origin.
// A file rather than an inline script, so that the page works under `script-src 'self'`.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  // The page's style nonce (this script element carries it), for the <style> elements that
  // GraphiQL's menus and dialogs add: react-style-singleton, in the bundle, reads this global.
  window.__webpack_nonce__ = (document.currentScript && document.currentScript.nonce) || undefined;
  document.body.style.margin = "0";
  root.style.height = "100vh";
  root.textContent = "";
  var fetcher = GraphiQL.createFetcher({
    url: root.getAttribute("data-endpoint") || "/graphql",
    enableIncrementalDelivery: false,
    headers: { Accept: "application/graphql-response+json, application/json" },
  });
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, { fetcher: fetcher }));
})();
