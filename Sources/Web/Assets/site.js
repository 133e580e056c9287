// A little JavaScript, never required. No form sends itself: a change of choice waits for its
// button (WCAG 3.2.2).
// The print button of the printable view (no inline script: the Content-Security-Policy forbids it).
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
