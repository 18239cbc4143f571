// The digit page: draw on #pad, see the network's guess as you draw.
//
// The page does no preprocessing of its own: it posts the drawing as a PNG to
// /guess, like any upload, and the server turns it into the input the network
// was trained on (gone/datasets/images.py: MNIST's recipe for 28x28 networks,
// scikit-learn digits' for 8x8). /guess?input=1 sends that input back, shown
// in #preview as "what the network sees". One definition, in Python.
"use strict";

const INK = 0; // any pixel brighter than black is ink
const pad = document.getElementById("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true });
const preview = document.getElementById("preview");
const digitEl = document.getElementById("digit");
const barsEl = document.getElementById("bars");
const statusEl = document.getElementById("status");
let side = 8, classes = 10, drawing = false, last = null, timer = null, seq = 0;

function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
  seq += 1; // answers to earlier requests are ignored
  document.body.dataset.busy = "0";
  preview.getContext("2d").clearRect(0, 0, preview.width, preview.height);
  show(null);
}

function buildBars() {
  barsEl.textContent = "";
  for (let d = 0; d < classes; d++) {
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.dataset.digit = d;
    bar.dataset.prob = "0";
    bar.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span>` +
      `<span class="value">0.0%</span>`;
    barsEl.appendChild(bar);
  }
}

function show(answer) {
  window.lastAnswer = answer; // for scripts and tests: the server's whole answer
  digitEl.textContent = answer ? String(answer.digit) : "\u2013";
  digitEl.dataset.digit = answer ? String(answer.digit) : "";
  barsEl.querySelectorAll(".bar").forEach((bar, d) => {
    const p = answer ? answer.probabilities[d] : 0;
    bar.dataset.prob = String(p);
    bar.classList.toggle("top", !!answer && d === answer.digit);
    bar.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    bar.querySelector(".value").textContent = `${(100 * p).toFixed(1)}%`;
  });
}

// True when nothing is drawn (every pixel of the pad still black).
function blank() {
  const img = ctx.getImageData(0, 0, pad.width, pad.height).data;
  for (let i = 0; i < img.length; i += 4) if (img[i] > INK) return false;
  return true;
}

// The pad as a PNG file: what /guess reads, exactly as an upload.
function drawingPng() {
  return new Promise((resolve) => pad.toBlob(resolve, "image/png"));
}

function drawPreview(pixels) {
  const pctx = preview.getContext("2d");
  const img = pctx.createImageData(side, side);
  pixels.forEach((v, i) => {
    const g = Math.round(255 * v);
    img.data.set([g, g, g, 255], 4 * i);
  });
  pctx.putImageData(img, 0, 0);
}

async function predict() {
  clearTimeout(timer);
  timer = null;
  if (blank()) return show(null);
  const mine = ++seq;
  document.body.dataset.busy = "1";
  try {
    const form = new FormData();
    form.append("image", await drawingPng(), "drawing.png");
    const res = await fetch("/guess?input=1", {
      method: "POST",
      headers: { Accept: "application/json" },
      body: form,
    });
    const answer = await res.json();
    if (mine !== seq) return;
    if (!res.ok) throw new Error(answer.error || res.statusText);
    drawPreview(answer.input);
    show(answer);
    statusEl.textContent = "";
  } catch (err) {
    if (mine === seq) statusEl.textContent = `error: ${err.message}`;
  } finally {
    if (mine === seq) {
      document.body.dataset.busy = "0";
      document.body.dataset.answers = String(Number(document.body.dataset.answers || 0) + 1);
    }
  }
}

function schedule() {
  if (timer === null) timer = setTimeout(predict, 80); // at most one request per 80 ms
}

function point(event) {
  const rect = pad.getBoundingClientRect();
  return [(event.clientX - rect.left) * pad.width / rect.width,
          (event.clientY - rect.top) * pad.height / rect.height];
}

function stroke(from, to) {
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 22;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(...from);
  ctx.lineTo(...to);
  ctx.stroke();
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  drawing = true;
  last = point(event);
  stroke(last, last);
  schedule();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const p = point(event);
  stroke(last, p);
  last = p;
  schedule();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    predict();
  });
}
document.getElementById("clear").addEventListener("click", clearPad);

async function start() {
  try {
    const res = await fetch("/api/model");
    const model = await res.json();
    side = model.input_shape[model.input_shape.length - 1];
    classes = model.classes;
    preview.width = preview.height = side;
    document.getElementById("model").textContent =
      `${model.name}: ${side}x${side} pixels in, ${classes} classes out`;
  } catch (err) {
    statusEl.textContent = `could not load the model: ${err.message}`;
  }
  buildBars();
  clearPad();
  document.body.dataset.ready = "1";
}

start();
