// Keyboard shortcuts of the pair page: f / n / p press the matching decision button, unless
// the focus is in a text field or a modifier key is held (screen readers keep their keys).
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.shiftKey) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) && target.type !== "radio") return;
  var button = document.querySelector('#decision button[data-key="' + event.key + '"]');
  if (button) {
    event.preventDefault();
    button.click();
  }
});
