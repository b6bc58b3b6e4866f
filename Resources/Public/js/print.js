// The print button of a receipt or a notice-board print: the browser's own print dialog (A4).
document.querySelectorAll("button.print-button").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});
