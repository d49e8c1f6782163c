// facsynth studio page: sliders per AU drive the photo, the sentence and the 3D face through the /api endpoints.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const $ = (id) => document.getElementById(id);
const MAX = 5;

// Everything the page knows; exposed as window.studio so that tests and curious users can look inside.
const state = {
  catalogue: null,
  jobs: {},
  aus: {},            // AU code -> intensity 0–5 (the sliders)
  track: null,        // a multi-frame track from speech, until a slider moves
  photoId: null,      // id of the uploaded photo on the server, null for the default face
  photoFile: null,    // the uploaded photo itself (for analyze)
  audioFile: null,
  videoUrl: null,     // the last speech video on the server
  pngBlob: null,      // the image shown, as PNG
  shownPhoto: null,   // the photo id that image was made from (null: the default face)
  renders: 0,         // images shown so far
  sentences: 0,       // descriptions shown so far
  mesh: null,         // {meshes, morphs: [names]} once the GLB is loaded
  videoFrame: null,   // frame of the speech track the 3D face shows while the video plays
};
window.studio = state;

// ------------------------------------------------------------------ small helpers

function setStatus(text, isError = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

async function api(path, { json, form, method = 'POST' } = {}) {
  const init = { method };
  if (json !== undefined) {
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}

function fail(err) {
  setStatus(err.message || String(err), true);
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function saveBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

function nonZero(aus) {
  const out = {};
  for (const [code, v] of Object.entries(aus)) if (v > 0) out[code] = v;
  return out;
}

function expressionBody() {
  return state.track ? { track: state.track } : { aus: nonZero(state.aus) };
}

function has(...jobs) {
  return jobs.every((j) => state.jobs[j]);
}

// ------------------------------------------------------------------ sliders

function buildSliders() {
  const box = $('sliders');
  box.textContent = '';
  let region = null;
  const order = ['upper', 'middle', 'lower'];
  const aus = [...state.catalogue.aus].sort((a, b) => order.indexOf(a.region) - order.indexOf(b.region) || a.code - b.code);
  for (const au of aus) {
    if (au.region !== region) {
      region = au.region;
      const h = document.createElement('div');
      h.className = 'region';
      h.textContent = `${region} face`;
      box.appendChild(h);
    }
    const row = document.createElement('div');
    row.className = 'au';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = au.name;
    row.title = `${au.label} ${au.name}: ${au.muscle}`;
    const label = document.createElement('label');
    label.htmlFor = `au-${au.code}`;
    label.textContent = au.label;
    const input = document.createElement('input');
    Object.assign(input, { type: 'range', min: 0, max: MAX, step: 0.1, value: 0, id: `au-${au.code}` });
    input.dataset.au = au.code;
    const out = document.createElement('output');
    out.id = `au-${au.code}-value`;
    out.textContent = '0.0';
    input.addEventListener('input', () => {
      state.aus[au.code] = Number(input.value);
      out.textContent = Number(input.value).toFixed(1);
      state.track = null;
      state.videoUrl = null;
      expressionChanged();
    });
    row.append(label, name, input, out);
    box.appendChild(row);
    state.aus[au.code] = 0;
  }
}

// Move the sliders to ``aus`` ({code: intensity}); AUs not named go to 0.
function setAus(aus, { keepTrack = false } = {}) {
  for (const au of state.catalogue.aus) {
    const v = Math.max(0, Math.min(MAX, Number(aus[au.code] ?? aus[String(au.code)] ?? 0)));
    state.aus[au.code] = v;
    $(`au-${au.code}`).value = v;
    $(`au-${au.code}-value`).textContent = v.toFixed(1);
  }
  if (!keepTrack) { state.track = null; state.videoUrl = null; }
  expressionChanged();
}

// ------------------------------------------------------------------ photo, sentence, mesh follow the sliders

let renderSeq = 0;
async function renderImage() {
  const seq = ++renderSeq;
  const photoId = state.photoId;
  const form = new FormData();
  form.append('aus', JSON.stringify(nonZero(state.aus)));
  if (photoId) form.append('photo', photoId);
  try {
    const blob = await (await api('/api/edit', { form })).blob();
    if (seq !== renderSeq) return;            // a newer request has been sent: drop this stale image
    const img = $('photo');
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(blob);
    state.pngBlob = blob;
    state.shownPhoto = photoId;
    state.renders += 1;
    document.body.dataset.renders = state.renders;
    $('photo-note').textContent = state.photoId ? '' : 'the default face';
  } catch (err) {
    if (seq === renderSeq) $('photo-note').textContent = err.message;
  }
}

let describeSeq = 0;
async function describeSliders() {
  if (!has('describe')) { $('sentence').textContent = 'describe is not available in this build'; return; }
  const seq = ++describeSeq;
  const json = { aus: nonZero(state.aus), protocol: Number($('protocol').value), gender: $('gender').value, seed: 0 };
  try {
    const { sentence } = await (await api('/api/describe', { json })).json();
    if (seq !== describeSeq) return;
    $('sentence').textContent = sentence;
    state.sentences += 1;
  } catch (err) {
    if (seq === describeSeq) $('sentence').textContent = err.message;
  }
}

const expressionChanged = debounce(() => {
  renderImage();
  describeSliders();
  updateMorphs();
}, 120);

// ------------------------------------------------------------------ 3D view

const view = { renderer: null, scene: null, camera: null, controls: null, model: null };

function initView() {
  const el = $('mesh-view');
  try {
    view.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  } catch (err) {
    $('mesh-note').textContent = 'this browser has no WebGL: the 3D view is off (the GLB download still works)';
    return;
  }
  view.renderer.setPixelRatio(window.devicePixelRatio || 1);
  view.renderer.setSize(el.clientWidth, el.clientHeight);
  el.appendChild(view.renderer.domElement);
  view.scene = new THREE.Scene();
  view.scene.background = new THREE.Color(0xe9ecf0);
  view.scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.8);
  sun.position.set(0.5, 1, 2);
  view.scene.add(sun);
  view.camera = new THREE.PerspectiveCamera(30, el.clientWidth / el.clientHeight, 0.001, 1000);
  view.controls = new OrbitControls(view.camera, view.renderer.domElement);
  view.controls.addEventListener('change', draw);
}

function draw() {
  if (view.renderer) view.renderer.render(view.scene, view.camera);
}

async function loadMesh() {
  if (!has('write_glb')) { $('mesh-note').textContent = 'the mesh job is not available in this build'; return; }
  const zero = Object.fromEntries(state.catalogue.aus.map((au) => [au.code, 0]));  // one morph target per AU
  const json = { aus: zero };
  if (state.photoId && has('mesh_person')) json.photo = state.photoId;
  const photoId = state.photoId;
  const buffer = await (await api('/api/mesh', { json })).arrayBuffer();
  if (photoId !== state.photoId) return;  // the photo changed meanwhile: a newer mesh is on its way
  const gltf = await new GLTFLoader().parseAsync(buffer, '');
  if (view.model) view.scene.remove(view.model);
  view.model = gltf.scene;
  const meshes = [];
  gltf.scene.traverse((o) => { if (o.isMesh && o.morphTargetDictionary) meshes.push(o); });
  const morphs = meshes.length ? Object.keys(meshes[0].morphTargetDictionary) : [];
  state.mesh = { meshes, morphs };
  $('mesh-note').textContent = `${json.photo ? 'the face of the photo' : 'the default face'}: ${morphs.length} morph targets`;
  if (!view.renderer) return;
  view.scene.add(gltf.scene);
  const box = new THREE.Box3().setFromObject(gltf.scene);
  const size = box.getSize(new THREE.Vector3()).length();
  const centre = box.getCenter(new THREE.Vector3());
  view.controls.target.copy(centre);
  view.camera.position.copy(centre).add(new THREE.Vector3(0, 0, size * 1.6));
  view.camera.near = size / 100;
  view.camera.far = size * 100;
  view.camera.updateProjectionMatrix();
  view.controls.update();
  updateMorphs();
}

// A morph target named after an AU ("AU12", …) takes that AU's intensity from ``aus``: 5 = weight 1.
function applyMorphs(aus) {
  if (!state.mesh) return;
  for (const mesh of state.mesh.meshes) {
    for (const [name, index] of Object.entries(mesh.morphTargetDictionary)) {
      const m = /^AU0*(\d+)/i.exec(name);
      if (m) mesh.morphTargetInfluences[index] = (aus[Number(m[1])] || 0) / MAX;
    }
  }
  draw();
}

function updateMorphs() {
  applyMorphs(state.aus);
}

// While the speech video plays, the 3D face follows the speech track frame by frame.
function followVideo() {
  const video = $('video');
  const track = state.track;
  if (!track || video.paused || video.ended) { updateMorphs(); return; }
  const i = Math.min(track.frames.length - 1, Math.floor(video.currentTime * track.fps));
  const aus = {};
  track.aus.forEach((label, j) => { aus[Number(label.replace(/^AU0*/, ''))] = track.frames[i][j]; });
  applyMorphs(aus);
  state.videoFrame = i;
  requestAnimationFrame(followVideo);
}

// ------------------------------------------------------------------ inputs

function dropZone(zone, input, onFile) {
  input.addEventListener('change', () => { if (input.files[0]) onFile(input.files[0]); });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files[0]) onFile(e.dataTransfer.files[0]);
  });
}

async function usePhoto(file) {
  setStatus(`uploading ${file.name}…`);
  const form = new FormData();
  form.append('image', file);
  try {
    const { id, width, height } = await (await api('/api/photos', { form })).json();
    state.photoId = id;
    state.photoFile = file;
    $('analyze-btn').disabled = !has('analyze_file');
    setStatus(`photo ${file.name}: ${width}×${height}`);
    expressionChanged();
    loadMesh().catch((err) => { $('mesh-note').textContent = err.message; });
  } catch (err) { fail(err); }
}

function useAudio(file) {
  state.audioFile = file;
  $('audio-name').textContent = file.name;
  $('speak-btn').disabled = !has('speak');
}

async function parseText(event) {
  event.preventDefault();
  const text = $('text').value;
  const engine = $('engine').value;
  setStatus('reading the sentence…');
  try {
    const res = await (await api('/api/parse', { json: { text, engine } })).json();
    setAus(res.aus);
    $('explain').textContent = res.explain ? Object.entries(res.explain)
      .map(([au, words]) => `AU${au} ← ${[...words].sort((a, b) => b[1] - a[1]).slice(0, 3)
        .map(([w, a]) => `${w} ${a.toFixed(2)}`).join(', ')}`).join(' · ') : '';
    setStatus(res.spec ? `parsed: ${res.spec}` : 'no facial movement found in the sentence');
  } catch (err) { fail(err); }
}

async function textEmotion() {
  setStatus('reading the feeling…');
  try {
    const res = await (await api('/api/emotion', { json: { text: $('text').value } })).json();
    setAus(res.aus);
    setStatus(`${res.emotion} at intensity ${res.intensity.toFixed(1)}`);
  } catch (err) { fail(err); }
}

async function applyEmotion() {
  const json = { emotion: $('emotion').value, intensity: Number($('emotion-intensity').value) };
  try {
    const res = await (await api('/api/emotion', { json })).json();
    setAus(res.aus);
    setStatus(`${res.emotion} at intensity ${json.intensity}`);
  } catch (err) { fail(err); }
}

async function analyzePhoto() {
  if (!state.photoFile) return;
  setStatus('reading the AUs of the photo…');
  const form = new FormData();
  form.append('image', state.photoFile);
  try {
    const res = await (await api('/api/analyze', { form })).json();
    setAus(res.aus);
    setStatus('AUs read from the photo');
  } catch (err) { fail(err); }
}

async function speak() {
  if (!state.audioFile) return;
  setStatus('animating the speech… (this takes a few seconds)');
  $('speak-btn').disabled = true;
  const form = new FormData();
  form.append('audio', state.audioFile);
  if ($('transcript').value.trim()) form.append('transcript', $('transcript').value.trim());
  if (state.photoId) form.append('photo', state.photoId);
  try {
    const res = await (await api('/api/speak', { form })).json();
    setAus(res.mean, { keepTrack: true });
    state.track = res.track;
    state.videoUrl = res.video;
    if (res.video) { $('video').src = res.video; $('video').play().catch(() => {}); }
    setStatus(`speech: ${res.track.frames.length} frames at ${res.track.fps} fps`);
  } catch (err) { fail(err); } finally { $('speak-btn').disabled = false; }
}

async function download(kind) {
  setStatus(`preparing ${kind}…`);
  try {
    let blob;
    if (kind === 'png') {
      blob = state.pngBlob;
    } else if (kind === 'mp4' && state.videoUrl) {
      blob = await (await api(state.videoUrl, { method: 'GET' })).blob();
    } else if (kind === 'mp4') {
      const form = new FormData();
      form.append('aus', JSON.stringify(nonZero(state.aus)));
      form.append('format', 'mp4');
      if (state.photoId) form.append('photo', state.photoId);
      blob = await (await api('/api/edit', { form })).blob();
    } else {
      blob = await (await api(`/api/export/${kind}`, { json: expressionBody() })).blob();
    }
    if (!blob) throw new Error('nothing to download yet');
    saveBlob(blob, `facsynth.${kind}`);
    setStatus(`downloaded facsynth.${kind}`);
  } catch (err) { fail(err); }
}

// ------------------------------------------------------------------ start

async function start() {
  try {
    const [health, catalogue] = await Promise.all([
      (await api('/api/health', { method: 'GET' })).json(),
      (await api('/api/catalogue', { method: 'GET' })).json(),
    ]);
    state.jobs = health.jobs;
    state.catalogue = catalogue;
  } catch (err) { fail(err); return; }
  for (const el of document.querySelectorAll('[data-job]')) {
    const missing = el.dataset.job.split(' ').filter((j) => !state.jobs[j]);
    if (missing.length) {
      el.disabled = true;
      el.title = `not available in this build (${missing.join(', ')})`;
    }
  }
  for (const name of state.catalogue.emotions) {
    const opt = document.createElement('option');
    opt.value = opt.textContent = name;
    $('emotion').appendChild(opt);
  }
  buildSliders();
  $('text-form').addEventListener('submit', parseText);
  $('feel-btn').addEventListener('click', textEmotion);
  $('emotion-btn').addEventListener('click', applyEmotion);
  $('neutral-btn').addEventListener('click', () => setAus({}));
  $('default-face').addEventListener('click', () => {
    state.photoId = null;
    state.photoFile = null;
    $('analyze-btn').disabled = true;
    expressionChanged();
    loadMesh().catch((err) => { $('mesh-note').textContent = err.message; });
  });
  $('analyze-btn').addEventListener('click', analyzePhoto);
  $('speak-btn').addEventListener('click', speak);
  $('protocol').addEventListener('change', describeSliders);
  $('gender').addEventListener('change', describeSliders);
  for (const btn of document.querySelectorAll('[data-download]')) {
    btn.addEventListener('click', () => download(btn.dataset.download));
  }
  $('video').addEventListener('play', followVideo);
  dropZone($('photo-drop'), $('photo-file'), usePhoto);
  dropZone($('audio-drop'), $('audio-file'), useAudio);
  initView();
  expressionChanged();
  loadMesh().catch((err) => { $('mesh-note').textContent = err.message; });
  document.body.dataset.ready = '1';
  setStatus('ready');
}

start();
