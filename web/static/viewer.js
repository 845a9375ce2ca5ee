// The PDF viewer: pdf.js (vendored into static/pdfjs/ by `make install`) renders the original's
// pages; the passage's rectangles, computed on the server, are drawn over them. Keys: arrows or
// Page Up/Down turn pages, P returns to the passage.
const viewer = document.querySelector(".pdf-viewer[data-pdf]");
if (viewer) start(viewer);

async function start(viewer) {
  const status = viewer.querySelector(".viewer-status");
  const sheets = viewer.querySelector(".pdf-sheets");
  const input = viewer.querySelector("#page-number");
  const buttons = Object.fromEntries([...viewer.querySelectorAll("[data-go]")].map((b) => [b.dataset.go, b]));
  const boxes = JSON.parse(viewer.dataset.boxes || "[]");
  const passagePages = viewer.dataset.pages.split(",").filter(Boolean).map(Number);
  let pdfjs, pdf;
  try {
    pdfjs = await import(viewer.dataset.pdfjs);
  } catch {
    return fail(status, "Die PDF-Ansicht konnte nicht geladen werden (pdf.js fehlt auf diesem Server).");
  }
  pdfjs.GlobalWorkerOptions.workerSrc = viewer.dataset.worker;
  try {
    pdf = await pdfjs.getDocument({ url: viewer.dataset.pdf, standardFontDataUrl: viewer.dataset.fonts }).promise;
  } catch {
    return fail(status, "Das PDF konnte nicht angezeigt werden.");
  }
  const count = pdf.numPages;
  let shown = [];
  let turn = 0; // the latest request wins when keys are pressed faster than pages render

  async function show(pages) {
    pages = pages.filter((p) => p >= 1 && p <= count);
    if (!pages.length) return;
    const mine = ++turn;
    shown = pages;
    input.value = pages[0];
    buttons.previous.disabled = pages[0] <= 1;
    buttons.next.disabled = pages[pages.length - 1] >= count;
    const width = Math.min(sheets.clientWidth || 800, 900);
    const figures = [];
    for (const number of pages) {
      figures.push(await renderPage(pdf, number, boxes.filter((b) => b.page === number), width));
      if (mine !== turn) return;
    }
    sheets.replaceChildren(...figures);
    status.textContent = describe(pages, count);
    const first = sheets.querySelector(".mark-box");
    if (first) first.scrollIntoView({ block: "center" });
  }

  buttons.previous.addEventListener("click", () => show([shown[0] - 1]));
  buttons.next.addEventListener("click", () => show([shown[shown.length - 1] + 1]));
  buttons.page.addEventListener("click", () => show([Number(input.value)]));
  buttons.passage.addEventListener("click", () => show(passagePages.length ? passagePages : [1]));
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") show([Number(input.value)]);
  });
  viewer.addEventListener("keydown", (event) => {
    if (event.target === input || event.altKey || event.ctrlKey || event.metaKey) return;
    const go = { ArrowLeft: "previous", PageUp: "previous", ArrowRight: "next", PageDown: "next", p: "passage", P: "passage" }[event.key];
    if (go && !buttons[go].disabled) {
      event.preventDefault();
      buttons[go].click();
    }
  });
  Object.values(buttons).forEach((b) => (b.disabled = false));
  await show(passagePages.length ? passagePages : [1]);
}

async function renderPage(pdf, number, marks, width) {
  const page = await pdf.getPage(number);
  const natural = page.getViewport({ scale: 1 });
  const scale = width / natural.width;
  const viewport = page.getViewport({ scale: scale * (window.devicePixelRatio || 1) });
  const figure = document.createElement("figure");
  figure.className = "pdf-page";
  figure.dataset.page = number;
  const sheet = document.createElement("div");
  sheet.className = "sheet";
  sheet.style.width = `${Math.floor(natural.width * scale)}px`;
  const canvas = document.createElement("canvas");
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `Seite ${number} des Originals${marks.length ? ", die Passage ist gelb markiert" : ""}`);
  sheet.append(canvas);
  for (const box of marks) sheet.append(markBox(rotated(box, page.rotate)));
  const caption = document.createElement("figcaption");
  caption.textContent = `Seite ${number}${marks.length ? " · Passage markiert" : ""}`;
  figure.append(sheet, caption);
  await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
  figure.dataset.rendered = "true";
  return figure;
}

function markBox(box) {
  const mark = document.createElement("div");
  mark.className = "mark-box";
  mark.setAttribute("aria-hidden", "true");
  Object.assign(mark.style, {
    left: `${box.left * 100}%`,
    top: `${box.top * 100}%`,
    width: `${box.width * 100}%`,
    height: `${box.height * 100}%`,
  });
  return mark;
}

// The server measures boxes on the unrotated page; a page with /Rotate is shown turned.
function rotated(box, degrees) {
  const { left, top, width, height } = box;
  switch (((degrees % 360) + 360) % 360) {
    case 90: return { left: 1 - top - height, top: left, width: height, height: width };
    case 180: return { left: 1 - left - width, top: 1 - top - height, width, height };
    case 270: return { left: top, top: 1 - left - width, width: height, height: width };
    default: return box;
  }
}

function describe(pages, count) {
  const marked = pages.filter((p) => document.querySelector(`.pdf-page[data-page="${p}"] .mark-box`));
  const range = pages.length > 1 ? `Seiten ${pages[0]}–${pages[pages.length - 1]}` : `Seite ${pages[0]}`;
  if (!marked.length) return `${range} von ${count}. Hier ist keine Passage markiert.`;
  const where =
    marked.length === 1 ? `auf Seite ${marked[0]}` : marked.length === 2 ? "auf beiden Seiten" : `auf allen ${marked.length} Seiten`;
  return `${range} von ${count}. Die Passage ist ${where} gelb markiert; ihr Text steht neben der Ansicht.`;
}

function fail(status, message) {
  status.classList.add("notice", "error");
  status.setAttribute("role", "alert");
  status.textContent = `${message} Das Original können Sie oben herunterladen; die Passage steht daneben als Text.`;
  document.querySelectorAll(".viewer-controls button").forEach((b) => (b.disabled = true));
}
