"""The loader: shipped data loads; a malformed record is rejected with its file and record named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cudnn_resolve.data import DATA_FILES, load_knowledge_base, shipped_data_dir
from cudnn_resolve.errors import DataError


def test_shipped_data_loads_and_every_record_cites_a_source() -> None:
    kb = load_knowledge_base()
    assert {Path(f).name for f in kb.files} == set(DATA_FILES)
    records = (
        list(kb.cuda_majors.values())
        + list(kb.toolkits)
        + list(kb.pip_sets.values())
        + list(kb.conda_toolkits.values())
        + list(kb.cudnn)
        + list(kb.tensorflow)
        + list(kb.and_cuda.values())
        + list(kb.torch)
        + list(kb.torch_pypi.values())
        + list(kb.jax)
        + [v for r in kb.torch for v in r.variants]
        + [e for r in kb.jax for e in r.cuda]
    )
    assert len(records) > 300
    for record in records:
        assert record.source.strip(), record


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count))


def _load(directory: Path) -> None:
    load_knowledge_base(directory)


def test_copy_of_shipped_data_loads(data_copy: Path) -> None:
    _load(data_copy)


@pytest.mark.parametrize(
    ("file", "old", "new", "problem", "record"),
    [
        # A required field removed.
        ("tensorflow.toml", 'cuda = "11.2"', "", "missing required field 'cuda'", "[[release]]"),
        # A typo in a field name.
        ("cuda.toml", "\ndriver_linux =", "\ndrvier_linux =", "unknown field(s) drvier_linux", "[[toolkit]]"),
        # A value of the wrong type.
        ("jax.toml", "cuda_major = 12", 'cuda_major = "12"', "field 'cuda_major' must be int", "[[release]]"),
        # A version that is not a version.
        ("torch.toml", 'cuda = "12.1"', 'cuda = "twelve"', "is not a version", "variant"),
        # A source removed: every record must cite one.
        ("cudnn.toml", "source =", "sourcE =", "missing required field 'source'", "[[release]]"),
        # An unknown fact is written down ("unknown"), never left out.
        ("torch.toml", '\narch = "unknown"', "", "missing required field 'arch'", "variant"),
        (
            "cudnn.toml",
            'min_compute_capability = "3.0"',
            "",
            "missing required field 'min_compute_capability'",
            "build",
        ),
        (
            "torch.toml",
            'arch_bounds = ["5.0", "9.0"]',
            'arch_bounds = ["9.0", "5.0"]',
            "[lowest, highest]",
            "variant",
        ),
    ],
)
def test_malformed_record_is_named(
    data_copy: Path, file: str, old: str, new: str, problem: str, record: str
) -> None:
    _edit(data_copy / file, old, new)
    with pytest.raises(DataError) as info:
        _load(data_copy)
    message = str(info.value)
    assert file in message
    assert problem in message
    assert record in message
    assert re.search(r"#\d+", message), message  # the record's position in the file


def test_invalid_toml_is_a_data_error(data_copy: Path) -> None:
    (data_copy / "cuda.toml").write_text("[[major]\nmajor = ")
    with pytest.raises(DataError, match="not valid TOML"):
        _load(data_copy)


def test_missing_file_is_a_data_error(data_copy: Path) -> None:
    (data_copy / "jax.toml").unlink()
    with pytest.raises(DataError, match=r"jax\.toml.*missing"):
        _load(data_copy)


def test_cross_file_reference_is_checked(data_copy: Path) -> None:
    # A torch variant pinning a cuDNN build that cudnn.toml does not know.
    _edit(data_copy / "torch.toml", 'cudnn = "9.1.0.70"', 'cudnn = "9.1.0.99"')
    with pytest.raises(DataError, match=r"cuDNN 9\.1\.0\.99 .*no build in cudnn\.toml"):
        _load(data_copy)


def test_an_edited_file_is_seen_by_the_next_load(data_copy: Path) -> None:
    before = load_knowledge_base(data_copy)
    assert load_knowledge_base(data_copy) is before  # cached while unchanged
    _edit(data_copy / "tensorflow.toml", 'cuda = "11.2"', 'cuda = "11.3"')
    after = load_knowledge_base(data_copy)
    assert after is not before
    assert {str(t.linux.cuda) for t in after.tensorflow} >= {"11.3"}


def test_corrupt_disk_cache_is_rebuilt(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDNN_RESOLVE_CACHE_DIR", str(tmp_path / "cache"))
    _edit(data_copy / "jax.toml", "\n", "\n\n")  # a fingerprint no earlier test produced
    load_knowledge_base(data_copy)
    (entry,) = (tmp_path / "cache").glob("kb-*.pickle")
    entry.write_bytes(b"not a pickle")
    _edit(data_copy / "jax.toml", "\n\n", "\n\n\n")
    kb = load_knowledge_base(data_copy)
    assert len(kb.jax) > 10


def test_shipped_dir_is_found() -> None:
    assert (shipped_data_dir() / "cuda.toml").is_file()


def test_an_arch_list_beyond_its_toolkit_is_a_data_error(data_copy: Path) -> None:
    # torch 1.12 cu102: CUDA 10.2 compiles for nothing newer than 7.5.
    _edit(
        data_copy / "torch.toml",
        'arch = ["3.7", "5.0", "6.0", "7.0"]',
        'arch = ["3.7", "5.0", "6.0", "7.0", "8.0"]',
    )
    with pytest.raises(DataError) as info:
        _load(data_copy)
    assert "arch 8.0 is outside what CUDA 10.2 compiles for" in str(info.value)
