import unicodedata

import pytest

from trapline.inventory.layout import FolderLayout, LayoutError


def test_station_and_camera_from_leading_folders():
    layout = FolderLayout.parse("{station}/{camera}")
    assert layout.locate("ST01/A/IMG_0001.JPG") == ("ST01", "A")
    assert layout.locate("ST01/A/DCIM/100RECNX/IMG_0001.JPG") == ("ST01", "A")


def test_too_shallow_path_has_no_place():
    layout = FolderLayout.parse("{station}/{camera}")
    assert layout.locate("ST01/IMG_0001.JPG") is None
    assert layout.locate("IMG_0001.JPG") is None


def test_camera_is_optional_and_star_skips_a_folder():
    assert FolderLayout.parse("{station}").locate("ST01/x/I.JPG") == ("ST01", None)
    star = FolderLayout.parse("*/{station}/{camera}")
    assert star.locate("north/ST01/B/I.JPG") == ("ST01", "B")


@pytest.mark.parametrize(
    "pattern", ["{camera}", "{station}/{station}", "{site}/{camera}", ""]
)
def test_bad_patterns_name_the_key(pattern):
    with pytest.raises(LayoutError, match="config key 'layout'"):
        FolderLayout.parse(pattern)


def test_names_are_read_in_nfc_whatever_the_file_system_wrote():
    """macOS writes folder names decomposed (NFD); spreadsheets keep them composed."""
    nfd = unicodedata.normalize("NFD", "Zürich/Süd/I.JPG")
    assert nfd != "Zürich/Süd/I.JPG"
    got = FolderLayout.parse("{station}/{camera}").locate(nfd)
    assert got == (unicodedata.normalize("NFC", "Zürich"), "Süd")
    assert all(unicodedata.is_normalized("NFC", name) for name in got)
