/**
 * Files chosen with the file input or dropped on the drop zone, handed on one list at a time.
 * @param {{ input: HTMLInputElement, dropzone: HTMLElement, onFiles: (files: File[]) => void }} options
 */
export function watchFilePicker({ input, dropzone, onFiles }) {
  input.addEventListener("change", () => {
    onFiles([...(input.files ?? [])]);
    // Let the same file be chosen again (a retry after a failure).
    input.value = "";
  });

  // dragenter/dragleave fire for every child crossed: count them so the highlight does not flicker.
  let depth = 0;
  const highlight = (/** @type {boolean} */ on) => dropzone.classList.toggle("dragging", on);
  dropzone.addEventListener("dragenter", (event) => {
    event.preventDefault();
    depth++;
    highlight(true);
  });
  dropzone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) highlight(false);
  });
  dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    highlight(false);
    onFiles([...(event.dataTransfer?.files ?? [])]);
  });
  // A file dropped beside the zone would make the browser open it, leaving the page (and its uploads).
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (event) => event.preventDefault());
}
