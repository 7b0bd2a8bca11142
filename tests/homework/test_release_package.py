"""The wheel students install holds the course package but none of the instructor-only code."""
import zipfile

from freqlstm_helpers.grading import release_package


def test_release_wheel_has_no_grading_or_website(tmp_path):
    wheel = release_package.build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "freqlstm_helpers/model.py" in names and "freqlstm_helpers/check.py" in names
    assert not [n for n in names if n.startswith(("freqlstm_helpers/grading/", "freqlstm_helpers/website/"))]
