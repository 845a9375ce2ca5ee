// The reading view: bring the marked passage into view and move the keyboard focus to it.
const marked = document.getElementById("stelle");
if (marked) {
  marked.scrollIntoView({ block: "center" });
  marked.focus({ preventScroll: true });
}
