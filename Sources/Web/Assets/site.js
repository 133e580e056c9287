// A little JavaScript, never required: forms marked data-autosubmit send themselves when a choice
// changes, so the assessment follows the grappe without a click.
document.querySelectorAll("form[data-autosubmit] select, form[data-autosubmit] input[type=checkbox]").forEach(function (field) {
  field.addEventListener("change", function () { field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit(); });
});
// The print button of the printable view (no inline script: the Content-Security-Policy forbids it).
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
