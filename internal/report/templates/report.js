(function () {
  "use strict";
  function show(id) {
    var el = document.getElementById(id);
    if (el) { el.hidden = false; }
    return el;
  }
  function value(id) {
    var el = document.getElementById(id);
    return el ? el : { value: "", checked: false };
  }
  function filterFindings() {
    var min = Number(value("finding-sev").value);
    var text = value("finding-text").value.toLowerCase();
    var phi = value("finding-phi").checked;
    document.querySelectorAll("article.finding").forEach(function (el) {
      var keep = Number(el.getAttribute("data-rank")) >= min &&
        (!phi || el.getAttribute("data-phi") === "true") &&
        (text === "" || el.textContent.toLowerCase().indexOf(text) >= 0);
      el.hidden = !keep;
    });
  }
  function filterAccounts() {
    var text = value("account-text").value.toLowerCase();
    var phi = value("account-phi").checked;
    var withFindings = value("account-findings").checked;
    document.querySelectorAll("details.account").forEach(function (el) {
      var keep = (!phi || el.getAttribute("data-phi") === "true") &&
        (!withFindings || el.getAttribute("data-findings") !== "0") &&
        (text === "" || el.textContent.toLowerCase().indexOf(text) >= 0);
      el.hidden = !keep;
    });
  }
  if (show("finding-filters")) {
    ["finding-sev", "finding-text", "finding-phi"].forEach(function (id) {
      value(id).addEventListener("input", filterFindings);
      value(id).addEventListener("change", filterFindings);
    });
  }
  if (show("account-filters")) {
    ["account-text", "account-phi", "account-findings"].forEach(function (id) {
      value(id).addEventListener("input", filterAccounts);
      value(id).addEventListener("change", filterAccounts);
    });
  }
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
