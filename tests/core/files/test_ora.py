"""OpenRaster: a valid layered file out, any reasonable stack in, bad files refused clearly."""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2ia_desktop.core.document.composite import flatten
from t2ia_desktop.core.document.document import Document, Layer
from t2ia_desktop.core.errors import BadInput
from t2ia_desktop.core.files.ora import export_ora, import_ora
from tests.builders import H, W, four_layers, noise


def png(pixels_or_image) -> bytes:
    image = (pixels_or_image if isinstance(pixels_or_image, Image.Image)
             else Image.fromarray(pixels_or_image))
    stream = io.BytesIO()
    image.save(stream, "PNG")
    return stream.getvalue()


def write_ora(path: Path, stack: str, files: dict[str, bytes], mimetype: bytes | None = None,
              size: tuple[int, int] = (W, H)) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if mimetype is not None or "mimetype" not in files:
            zf.writestr("mimetype", mimetype or b"image/openraster")
        zf.writestr("stack.xml", f'<?xml version="1.0" encoding="UTF-8"?>'
                                 f'<image version="0.0.5" w="{size[0]}" h="{size[1]}">'
                                 f"<stack>{stack}</stack></image>")
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def refused(path: Path, *words: str) -> None:
    with pytest.raises(BadInput) as caught:
        import_ora(path)
    for word in (str(path), *words):
        assert word in str(caught.value), str(caught.value)


@pytest.fixture
def exported(tmp_path) -> Path:
    path = tmp_path / "art.ora"
    export_ora(four_layers(), path)
    return path


def test_the_file_follows_the_openraster_layout(exported):
    doc = four_layers()
    with zipfile.ZipFile(exported) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"image/openraster"
        # the mimetype's bytes sit at offset 38, where file(1) and other sniffers look
        assert exported.read_bytes()[30:38 + 16] == b"mimetypeimage/openraster"
        root = ET.fromstring(zf.read("stack.xml"))
        assert (root.tag, root.get("w"), root.get("h")) == ("image", str(W), str(H))
        layers = root.find("stack").findall("layer")
        assert [e.get("name") for e in layers] == [lay.name for lay in reversed(doc.layers)]
        for element, layer in zip(layers, reversed(doc.layers), strict=True):
            assert element.get("composite-op") == "svg:src-over"
            assert float(element.get("opacity")) == layer.opacity
            assert element.get("visibility") == ("visible" if layer.visible else "hidden")
            assert (element.get("x"), element.get("y")) == ("0", "0")
            with Image.open(io.BytesIO(zf.read(element.get("src")))) as image:
                assert np.array_equal(np.array(image), layer.pixels)
        assert [e.get("selected") for e in layers] == [None, None, "true", None]
        with Image.open(io.BytesIO(zf.read("mergedimage.png"))) as merged:
            assert np.array_equal(np.array(merged), np.array(flatten(doc)))
        with Image.open(io.BytesIO(zf.read("Thumbnails/thumbnail.png"))) as thumbnail:
            assert max(thumbnail.size) <= 256


def test_a_large_canvas_gets_a_thumbnail_of_at_most_256(tmp_path):
    doc = Document(600, 300)
    doc.add_layer(Layer("Paint", "paint", noise(1, 600, 300)))
    export_ora(doc, tmp_path / "wide.ora")
    with zipfile.ZipFile(tmp_path / "wide.ora") as zf:
        thumbnail = Image.open(io.BytesIO(zf.read("Thumbnails/thumbnail.png")))
    assert thumbnail.size == (256, 128)


def test_export_then_import_keeps_pixels_order_names_visibility_and_opacity(exported):
    doc = four_layers()
    back = import_ora(exported)
    assert (back.width, back.height) == (W, H)
    assert [(lay.name, lay.visible, lay.opacity) for lay in back.layers] == [
        (lay.name, lay.visible, lay.opacity) for lay in doc.layers]
    for mine, theirs in zip(doc.layers, back.layers, strict=True):
        assert np.array_equal(mine.pixels, theirs.pixels)
    # opaque layers are photos, the rest paint; the selected layer is active again
    assert [lay.kind for lay in back.layers] == ["paint", "photo", "paint", "photo"]
    assert back.active is back.layers[1]


def test_layer_names_that_xml_cannot_hold_are_cleaned(tmp_path):
    doc = Document(4, 4)
    doc.add_layer(Layer('a\x00b\x07 <&> "c"', "paint", noise(1, 4, 4)))
    export_ora(doc, tmp_path / "names.ora")
    assert import_ora(tmp_path / "names.ora").layers[0].name == 'ab <&> "c"'


def test_offsets_groups_and_image_modes_from_other_apps(tmp_path):
    red = np.zeros((10, 10, 4), np.uint8)
    red[...] = (255, 0, 0, 255)
    grey16 = Image.fromarray(np.full((4, 4), 0x8000, np.uint16))  # 16-bit grey PNG
    palette = Image.new("P", (5, 5), 3)
    palette.putpalette([0, 0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90] * 64)
    stack = (
        '<layer name="top" src="data/a.png" x="-5" y="35" opacity="0.5"/>'
        '<stack x="10" y="1" opacity="0.5" visibility="hidden" name="group">'
        '  <layer name="in group" src="data/b.png" x="2" y="3" opacity="0.5"/>'
        "</stack>"
        '<text name="ignored"/>'
        '<layer name="grey" src="data/c.png" x="1.4" y="0"/>'
        '<layer src="data/d.png" selected="true"/>'
    )
    path = write_ora(tmp_path / "other.ora", stack, {
        "data/a.png": png(red), "data/b.png": png(red), "data/c.png": png(grey16),
        "data/d.png": png(palette),
    })
    doc = import_ora(path)
    assert [lay.name for lay in doc.layers] == ["Layer 1", "grey", "in group", "top"]
    top = doc.layers[3]
    assert top.opacity == 0.5
    assert top.visible
    assert top.pixels[35:, :5].tolist() == red[:5, :5].tolist()  # clipped at the edges
    assert not top.pixels[:35].any()
    assert not top.pixels[:, 5:].any()
    grouped = doc.layers[2]
    assert (grouped.opacity, grouped.visible) == (0.25, False)
    assert grouped.pixels[4:14, 12:22].tolist() == red.tolist()
    grey = doc.layers[1]
    assert grey.pixels[0, 1].tolist() == [128, 128, 128, 255]  # scaled, not clipped to 255
    assert not grey.pixels[0, 0].any()  # x="1.4" rounds to 1
    assert doc.layers[0].pixels[0, 0].tolist() == [70, 80, 90, 255]  # palette index 3
    assert doc.active is doc.layers[0]


def test_import_without_a_mimetype_entry_still_reads_the_stack(tmp_path):
    path = tmp_path / "bare.ora"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stack.xml", f'<image w="{W}" h="{H}"><stack>'
                                 '<layer src="l.png"/></stack></image>')
        zf.writestr("l.png", png(noise(1)))
    assert np.array_equal(import_ora(path).layers[0].pixels, noise(1))


# -- bad input --------------------------------------------------------------------------------

def test_a_failed_export_leaves_nothing(tmp_path):
    with pytest.raises(BadInput, match="No such file"):
        export_ora(four_layers(), tmp_path / "gone" / "x.ora")
    assert os.listdir(tmp_path) == []


def test_not_a_zip_or_not_an_ora(tmp_path):
    text = tmp_path / "x.ora"
    text.write_text("hello")
    refused(text, "not an OpenRaster file", "not a readable zip")
    refused(write_ora(tmp_path / "m.ora", "", {}, mimetype=b"application/zip"), "mimetype")
    no_stack = tmp_path / "s.ora"
    with zipfile.ZipFile(no_stack, "w") as zf:
        zf.writestr("mimetype", "image/openraster")
    refused(no_stack, "no stack.xml")


def test_bad_stacks(tmp_path):
    def bad(stack_xml: str, *words: str) -> None:
        path = tmp_path / "bad.ora"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("mimetype", "image/openraster")
            zf.writestr("stack.xml", stack_xml)
            zf.writestr("a.png", png(noise(1)))
        refused(path, *words)

    bad("<image w='48' h='40'><stack>", "not valid XML")
    bad("<svg/>", "does not describe an image")
    bad("<image w='48' h='40'/>", "no layer stack")
    bad("<image w='-4' h='40'><stack/></image>", "width")
    bad("<image w='48' h='40000000'><stack/></image>", "height")
    bad("<image w='16384' h='16384'><stack/></image>", "megapixel")
    bad('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        "<image w='48' h='40'><stack/></image>", "DTD")
    bad("<image w='48' h='40'><stack><layer/></stack></image>", "names no image")
    bad("<image w='48' h='40'><stack><layer src='b.png'/></stack></image>", "missing")
    bad("<image w='48' h='40'><stack><layer src='../a.png'/></stack></image>", "outside")
    bad("<image w='48' h='40'><stack><layer src='a.png' x='left'/></stack></image>",
        "not a number")
    bad("<image w='48' h='40'><stack><layer src='a.png' y='1e300'/></stack></image>",
        "out of range")
    bad("<image w='48' h='40'><stack><layer src='a.png' opacity='nan'/></stack></image>",
        "opacity")
    bad("<image w='48' h='40'><stack>" + "<stack>" * 70 + "</stack>" * 70 + "</stack></image>",
        "nest deeper")
    bad("<image w='8192' h='8192'><stack>" + "<layer src='a.png'/>" * 17 + "</stack></image>",
        "too many to open safely")
    bad("<image w='4' h='4'><stack>" + "<layer src='a.png'/>" * 1002 + "</stack></image>",
        "more than the 1000 allowed")


def test_layer_images_that_cannot_be_used(tmp_path):
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")
    for data, words in [(b"not a png", ["not a PNG"]), (bomb.getvalue(), ["megapixel limit"])]:
        path = write_ora(tmp_path / "img.ora", '<layer src="data/a.png"/>', {"data/a.png": data})
        refused(path, *words)


def test_entries_that_escape_the_folder_are_refused(tmp_path):
    path = write_ora(tmp_path / "evil.ora", '<layer src="a.png"/>',
                     {"a.png": png(noise(1)), "../../evil.sh": b"rm"})
    refused(path, "outside its folder")
