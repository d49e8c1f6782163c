"""The studio page in a real browser: Debian's chromium driven by Playwright against a server on 127.0.0.1."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from facsynth.server import jobs
from facsynth.server.app import Settings, create_app, running

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
AVAILABLE = jobs.available()

assert CHROMIUM.exists(), "Debian's chromium is not installed (`make setup` installs it)"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("studio-browser-tmp")
    with running(create_app(Settings(tmp_root=tmp))) as url:
        yield url, tmp


@pytest.fixture(scope="module")
def page(server):
    url, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 950}, accept_downloads=True)
        # only loopback traffic: any request elsewhere (a CDN, say) is refused and recorded
        outside: list[str] = []

        def guard(route):
            if route.request.url.startswith(url) or route.request.url.startswith(("blob:", "data:")):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        context.route("**/*", guard)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(url)
        pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
        pg.wait_for_function("window.studio.renders >= 1", timeout=30_000)
        yield pg
        assert not errors, errors
        assert not outside, outside
        browser.close()


def image_digest(pg) -> str:
    """SHA-256 of the PNG the page shows, computed in the browser."""
    return pg.evaluate("""async () => {
        const digest = await crypto.subtle.digest('SHA-256', await window.studio.pngBlob.arrayBuffer());
        return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    }""")


def download(pg, kind: str) -> bytes:
    with pg.expect_download(timeout=60_000) as info:
        pg.click(f"[data-download='{kind}']")
    return Path(info.value.path()).read_bytes()


def test_sentence_moves_sliders_and_changes_the_image(page):
    assert page.locator("#sliders input[type=range]").count() >= 24
    before_png = page.locator("#photo").screenshot()
    before = image_digest(page)
    sentence = page.inner_text("#sentence")
    renders = page.evaluate("window.studio.renders")
    page.fill("#text", "She smiles broadly and raises her inner brows")
    page.click("#parse-btn")
    if not AVAILABLE["parse"]:
        page.wait_for_function("document.getElementById('status').classList.contains('error')")
        pytest.fail("the parse job is not in this build")
    page.wait_for_function(f"window.studio.renders > {renders}", timeout=30_000)
    assert float(page.input_value("#au-12")) > 0 and float(page.input_value("#au-1")) > 0
    assert float(page.input_value("#au-26")) == 0
    assert image_digest(page) != before
    assert page.locator("#photo").screenshot() != before_png
    if AVAILABLE["describe"]:
        page.wait_for_function("(s) => { const t = document.getElementById('sentence').textContent;"
                               " return t && t !== s && !t.includes('error'); }", arg=sentence, timeout=10_000)


def test_one_sided_sentence_renders_one_side(page):
    """A parsed "left brow" keeps its side through the sliders into the image; both brows look different."""
    def parse(text: str) -> tuple[str, dict, dict]:
        renders = page.evaluate("window.studio.renders")
        page.fill("#text", text)
        page.click("#parse-btn")
        page.wait_for_function(f"window.studio.renders > {renders}", timeout=30_000)
        levels = {au: float(page.input_value(f"#au-{au}")) for au in (1, 2)}
        return image_digest(page), levels, page.evaluate("window.studio.sides")

    left, left_levels, left_sides = parse("She raises her left brow strongly.")
    both, both_levels, both_sides = parse("She raises her brows strongly.")
    assert left_sides == {"AU01": "L", "AU02": "L"} and both_sides == {}
    assert left_levels == both_levels and left_levels[1] > 0
    assert left != both


def test_slider_by_hand_updates_image_sentence_and_mesh(page):
    renders = page.evaluate("window.studio.renders")
    before = image_digest(page)
    page.fill("#au-26", "5")  # dispatches input
    page.wait_for_function(f"window.studio.renders > {renders}", timeout=30_000)
    assert image_digest(page) != before
    assert page.locator("#au-26-value").inner_text() == "5.0"
    if AVAILABLE["write_glb"]:
        page.wait_for_function("window.studio.mesh !== null", timeout=30_000)
        morphs = page.evaluate("window.studio.mesh.morphs")
        assert "AU26" in morphs and "AU12" in morphs
        weight = page.evaluate("""(() => { const m = window.studio.mesh.meshes[0];
            return m.morphTargetInfluences[m.morphTargetDictionary['AU26']]; })()""")
        assert weight == pytest.approx(1.0)


def test_every_registry_format_has_a_download_button(page):
    from facsynth.formats import FORMATS

    writable = {key for key, f in FORMATS.items() if f.write}
    assert set(page.evaluate("window.studio.exportKinds")) == writable
    buttons = set(page.evaluate("[...document.querySelectorAll('[data-download]')].map((b) => b.dataset.download)"))
    assert writable <= buttons


def test_downloads_are_valid_files(page):
    png = download(page, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    csv = download(page, "csv").decode()
    header, row = csv.splitlines()[:2]
    assert float(row.split(", ")[header.split(", ").index("AU26_r")]) == pytest.approx(5.0)
    if AVAILABLE["write_glb"]:
        glb = download(page, "glb")
        assert glb[:4] == b"glTF" and struct.unpack("<I", glb[8:12])[0] == len(glb)
    if AVAILABLE["write_arkit_json"]:
        arkit = json.loads(download(page, "arkit.json"))
        assert "jawOpen" in json.dumps(arkit)
    if AVAILABLE["write_livelink_csv"]:
        live = download(page, "arkit.csv").decode().splitlines()
        assert live[0].startswith("Timecode,BlendShapeCount,EyeBlinkLeft")
        assert float(live[1].split(",")[live[0].split(",").index("JawOpen")]) > 0.5
    if AVAILABLE["render_preview"]:
        mp4 = download(page, "mp4")
        assert mp4[4:8] == b"ftyp" and len(mp4) > 1000


def test_emotion_picker(page):
    page.select_option("#emotion", "surprise")
    page.click("#emotion-btn")
    page.wait_for_function("Number(document.getElementById('au-2').value) > 0", timeout=10_000)
    assert float(page.input_value("#au-12")) == 0


def test_emotion_of_the_text(page):
    page.fill("#text", "I am so happy today, this is the best news ever!")
    page.click("#feel-btn")  # the status says "reading the feeling…" until the answer comes
    page.wait_for_function("(() => { const s = document.getElementById('status');"
                           " return s.classList.contains('error') || s.textContent.startsWith('happiness')"
                           " || (s.textContent.includes('at intensity') && !s.textContent.startsWith('surprise')); })()",
                           timeout=30_000)
    status = page.inner_text("#status")
    if "not available" in status:
        pytest.fail(status)
    assert status.startswith("happiness") and float(page.input_value("#au-12")) > 0
    assert page.input_value("#emotion") == "happiness"  # the selector follows the text's emotion


def test_photo_drop_refuses_a_fake_png_and_uses_a_real_photo(page, shared_data, tmp_path):
    fake = tmp_path / "face.png"
    fake.write_text("this is not a picture")
    page.set_input_files("#photo-file", str(fake))
    page.wait_for_function("document.getElementById('status').classList.contains('error')", timeout=10_000)
    assert "not a PNG" in page.inner_text("#status")
    if not (AVAILABLE["read_image"] and AVAILABLE["reexpress"]):
        pytest.fail("photo re-expression is not in this build")
    default_face = image_digest(page)
    page.set_input_files("#photo-file", str(shared_data / "faces" / "grace_hopper_512x512.jpg"))
    page.wait_for_function("window.studio.photoId !== null && window.studio.shownPhoto === window.studio.photoId",
                           timeout=30_000)
    size = page.evaluate("[document.getElementById('photo').naturalWidth, document.getElementById('photo').naturalHeight]")
    assert size == [512, 512] and image_digest(page) != default_face
    png = download(page, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    if AVAILABLE["write_glb"] and AVAILABLE["mesh_person"]:
        page.wait_for_function("document.getElementById('mesh-note').textContent.includes('photo')", timeout=30_000)
    if AVAILABLE["analyze_file"]:
        page.set_input_files("#photo-file", str(shared_data / "faces" / "obama_official_portrait.jpg"))
        page.wait_for_function("document.getElementById('status').textContent.startsWith('photo obama')", timeout=30_000)
        page.click("#neutral-btn")
        page.click("#analyze-btn")
        page.wait_for_function("document.getElementById('status').textContent.includes('read from the photo')",
                               timeout=30_000)
        assert float(page.input_value("#au-12")) > 1  # he smiles in his portrait


def test_speech_video_plays(page, shared_data):
    page.set_input_files("#audio-file", str(shared_data / "speech" / "cards" / "cards_001.wav"))
    if not AVAILABLE["speak"]:
        assert page.locator("#speak-btn").is_disabled()
        pytest.fail("the speak job is not in this build")
    page.wait_for_function("window.studio.timeline.wave !== null", timeout=10_000)  # the waveform is drawn
    page.click("#speak-btn")
    page.wait_for_function("window.studio.track !== null || document.getElementById('status').classList.contains('error')",
                           timeout=60_000)
    assert page.evaluate("window.studio.track.frames.length") >= 20
    if page.evaluate("window.studio.videoUrl") is None:
        pytest.fail("no renderer for the speech video in this build")
    page.wait_for_function("document.getElementById('video').readyState >= 1", timeout=30_000)
    assert page.evaluate("document.getElementById('video').duration") == pytest.approx(1.1, abs=0.3)
    if AVAILABLE["write_glb"]:  # the 3D face follows the track while the video plays
        page.evaluate("document.getElementById('video').muted = true; document.getElementById('video').play()")
        page.wait_for_function("window.studio.videoFrame !== null && window.studio.videoFrame > 3", timeout=30_000)
    mp4 = download(page, "mp4")
    assert mp4[4:8] == b"ftyp"


def test_description_wording_is_neutral_unless_chosen(page):
    page.fill("#au-12", "4")
    page.wait_for_function("document.getElementById('sentence').textContent.includes('lip corners')", timeout=10_000)
    assert page.input_value("#gender") == "neutral"
    sentence = page.inner_text("#sentence")
    assert sentence.startswith("A person") and "woman" not in sentence and " her " not in sentence
    page.select_option("#gender", "female")
    page.wait_for_function("document.getElementById('sentence').textContent.startsWith('A woman')", timeout=10_000)
    page.select_option("#gender", "neutral")
    page.wait_for_function("document.getElementById('sentence').textContent.startsWith('A person')", timeout=10_000)


def test_attention_text_is_cleared_after_an_error(page):
    page.evaluate("document.getElementById('explain').textContent = 'AU12 ← smiles 0.91'")
    page.fill("#text", "x" * 20_001)  # longer than the API takes: an error
    page.click("#parse-btn")
    page.wait_for_function("document.getElementById('status').classList.contains('error')", timeout=10_000)
    assert page.inner_text("#explain") == ""


def test_photo_view_zooms_to_the_face(page, shared_data):
    if not (AVAILABLE["read_image"] and AVAILABLE["reexpress"]):
        pytest.fail("photo re-expression is not in this build")
    page.set_input_files("#photo-file", str(shared_data / "faces" / "grace_hopper_512x512.jpg"))
    page.wait_for_function("window.studio.faceBox !== null && window.studio.faceBox.photoId === window.studio.photoId"
                           " && window.studio.photoFile.name.startsWith('grace')"
                           " && document.getElementById('photo').classList.contains('cropped')", timeout=30_000)
    box = page.evaluate("window.studio.faceBox")
    frame = page.locator("#photo-frame").bounding_box()
    shown = page.locator("#photo").bounding_box()
    assert shown["width"] > 1.3 * frame["width"]  # zoomed in
    # the face (Hopper's is near the middle of the portrait, above centre) is what the frame shows
    assert 150 < box["cx"] < 360 and 120 < box["cy"] < 330 and 80 < box["half"] < 300
    page.uncheck("#crop")
    assert page.locator("#photo").bounding_box()["width"] == pytest.approx(frame["width"], abs=2)
    page.check("#crop")


def _drag_key(page, frame_index: int, value: float) -> None:
    """Drag the selected AU's keyframe at ``frame_index`` to ``value`` with the mouse."""
    key = page.evaluate(f"window.studio.timeline.keys.find((k) => k.frame === {frame_index})")
    canvas = page.locator("#tl-canvas").bounding_box()
    height = canvas["height"]
    target_y = 10 + (1 - value / 5) * (height - 10 - 22)  # the canvas's plot area (PAD in app.js)
    page.mouse.move(canvas["x"] + key["x"], canvas["y"] + key["y"])
    page.mouse.down()
    page.mouse.move(canvas["x"] + key["x"], canvas["y"] + (key["y"] + target_y) / 2, steps=3)
    page.mouse.move(canvas["x"] + key["x"], canvas["y"] + target_y, steps=3)
    page.mouse.up()


def test_timeline_drag_a_key_export_and_reimport(page, tmp_path):
    page.click("#neutral-btn")
    page.fill("#au-12", "4")
    page.fill("#au-1", "2")
    page.click("#tl-clip")
    page.wait_for_function("window.studio.track !== null && window.studio.timeline.keys.length > 5", timeout=10_000)
    page.select_option("#tl-au", "AU12")
    page.wait_for_timeout(200)
    track = page.evaluate("window.studio.track")
    j = track["aus"].index("AU12")
    assert track["frames"][45][j] == pytest.approx(4.0)
    keys = page.evaluate("window.studio.timeline.keys.map((k) => k.frame)")
    key = next(k for k in keys if k >= 45)
    _drag_key(page, key, 1.0)
    edited = page.evaluate("window.studio.track")
    assert edited["frames"][key][j] == pytest.approx(1.0, abs=0.15)          # the key moved
    assert edited["frames"][0][j] == 0 and edited["frames"][key][track["aus"].index("AU01")] == pytest.approx(2.0)
    assert page.evaluate("window.studio.timeline.edits") >= 1
    # scrubbing to the key shows its frame on the sliders
    page.wait_for_function(f"Math.abs(Number(document.getElementById('au-12').value) - {edited['frames'][key][j]}) < 0.11",
                           timeout=10_000)
    # export the edited track, and read it back in
    exported = json.loads(download(page, "json"))
    assert exported["frames"][key][exported["aus"].index("AU12")] == pytest.approx(edited["frames"][key][j], abs=1e-3)
    csv_rows = download(page, "csv").decode().splitlines()
    assert len(csv_rows) == 61  # header + 60 frames in OpenFace's layout
    page.click("#neutral-btn")
    page.wait_for_function("window.studio.track === null", timeout=10_000)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(exported))
    page.set_input_files("#tl-import", str(path))
    page.wait_for_function("window.studio.track !== null", timeout=10_000)
    back = page.evaluate("window.studio.track")
    assert back["aus"] == exported["aus"] and back["frames"] == exported["frames"]


def test_timeline_plays_and_scrubs(page):
    if page.evaluate("window.studio.track") is None:
        page.fill("#au-26", "4")
        page.click("#tl-clip")
    page.evaluate("window.studio.timeline.time = 0")
    page.click("#tl-play")
    page.wait_for_function("window.studio.timeline.time > 0.5", timeout=10_000)
    page.wait_for_function("!window.studio.timeline.playing", timeout=10_000)  # stops at the end
    canvas = page.locator("#tl-canvas").bounding_box()
    page.mouse.click(canvas["x"] + 34 + (canvas["width"] - 44) * 0.25, canvas["y"] + canvas["height"] - 5)
    assert page.evaluate("window.studio.timeline.time") == pytest.approx(0.25 * page.evaluate(
        "(window.studio.track.frames.length - 1) / window.studio.track.fps"), abs=0.05)


def test_narrow_window_has_no_horizontal_scroll(server, page):
    url, _ = server
    pg = page.context.browser.new_page(viewport={"width": 400, "height": 900})
    pg.goto(url)
    pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 400
    for sel in ("#controls", "#views", "#timeline", "#photo-frame", "#tl-canvas"):
        box = pg.locator(sel).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 400, sel
    pg.close()


def test_no_temporary_files_left(server, page):
    """Once the requests the page sent have finished (the last ones may still be rendering), nothing is left."""
    _, tmp = server
    deadline = time.monotonic() + 30
    while list(tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(tmp.iterdir()) == []
