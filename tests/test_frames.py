"""Collection.to_pandas(): columns, dtypes, references, paging and progress (chatmodels.frames)."""

from __future__ import annotations

import pandas as pd
import pytest

from chatmodels import crisp
from chatmodels.testing import serve

from .conftest import FAST_RETRY


def test_contacts_frame_has_flat_canonical_columns_and_dtypes(api, sim):
    sim.requests.clear()
    df = api.Contact.all().page_size(100).to_pandas(progress=False)
    assert len(df) == 250
    assert [r.path for r in sim.requests] == ["/contacts"] * 3  # page by page
    assert list(df.columns[:9]) == ["id", "external_id", "email", "phone", "name", "role",
                                    "created_at", "updated_at", "last_seen_at"]
    assert str(df["created_at"].dtype).startswith("datetime64[") and \
        str(df["created_at"].dt.tz) == "UTC"
    assert df["role"].dtype == "category"
    assert set(df["role"].cat.categories) <= {"user", "lead"}
    assert df["unsubscribed_from_emails"].dtype == bool
    # custom attributes and dict fields flattened like json_normalize
    assert "custom_attributes.plan" in df.columns and "location.city" in df.columns
    # row values match the objects
    contacts = {c.id: c for c in api.Contact.all()}
    for _, row in df.sample(20, random_state=1).iterrows():
        obj = contacts[row["id"]]
        assert row["email"] == obj.email
        assert row["created_at"] == pd.Timestamp(obj.created_at)
        plan = obj.custom_attributes.get("plan")
        assert row["custom_attributes.plan"] == plan if plan else pd.isna(
            row["custom_attributes.plan"])
        assert row["location.city"] == obj.location.get("city")
        assert row["tag_ids"] == [t.id for t in obj.tags]
        assert row["company_ids"] == [c.id for c in obj.companies]


def test_conversation_references_as_ids_and_names(api):
    df = api.Conversation.all().to_pandas(include=["statistics"], progress=False)
    convs = {c.id: c for c in api.Conversation.all()}
    assert "messages" not in df.columns and "message_ids" not in df.columns
    tagged = df[df["tag_ids"].map(len) > 0]
    assert len(tagged) > 0
    for _, row in tagged.iterrows():
        assert row["tag_names"] == [t.name for t in convs[row["id"]].tags]
    # contacts carry no names in a conversation payload: ids only, no names column
    assert "contact_ids" in df.columns and "contact_names" not in df.columns
    assert df["state"].dtype == "category"
    assert df["statistics.time_to_admin_reply"].dtype == float


def test_fields_and_extra_keys_can_be_chosen(api):
    df = api.Contact.all().limit(10).to_pandas(["email", "browser"], progress=False)
    assert list(df.columns) == ["email", "browser"]  # browser: an extra wire key
    assert len(df) == 10
    with pytest.raises(TypeError):
        api.Contact.all().to_pandas("email")


def test_empty_collection_gives_an_empty_frame(api):
    df = api.Contact.search(email="nobody@nowhere.invalid").to_pandas()
    assert df.shape == (0, 0)


def test_to_dataframe_is_to_pandas(api):
    a = api.Contact.all().limit(5).to_dataframe(progress=False)
    b = api.Contact.all().limit(5).to_pandas(progress=False)
    pd.testing.assert_frame_equal(a, b)


def test_progress_bar_only_when_paging_and_asked(api, capsys):
    api.Contact.all().page_size(100).to_pandas(progress=True)
    err = capsys.readouterr().err
    assert "Contact.all():   0%|          | 0/250" in err
    api.Contact.all().page_size(100).to_pandas()  # not a terminal: quiet
    api.Contact.all().limit(5).to_pandas(progress=True)  # one page: no bar
    assert capsys.readouterr().err == ""


def test_crisp_people_data_is_not_fetched_unless_lazy():
    with serve("crisp", seed=5, contacts=8) as sim:
        client = crisp.connect(base_url=sim.base_url, retry=FAST_RETRY, **sim.credentials)
        sim.requests.clear()
        df = client.Contact.all().to_pandas(progress=False)
        assert len(df) == 8
        assert not any("/people/data/" in r.path for r in sim.requests)
        assert not any(c.startswith("custom_attributes.") for c in df.columns)
        assert df["role"].tolist() == ["user"] * 8  # derived fields are read
        sim.requests.clear()
        lazy = client.Contact.all().to_pandas(progress=False, lazy=True)
        data_reads = [r for r in sim.requests if "/people/data/" in r.path]
        assert len(data_reads) == 8  # the documented N+1: Crisp has no bulk read
        assert any(c.startswith("custom_attributes.") for c in lazy.columns)


def test_columns_kept_compact_per_page_equal_the_whole_column_read_at_once():
    """Text is stored per page in pandas' compact string arrays when pandas has them; a
    column put together from such pages (with gaps, or with other values in some pages) is
    what pandas makes of the whole column at once."""
    from chatmodels.frames import _Columns, _Page

    pages = [{"a": ["x", None], "b": ["x", "y"], "c": ["p", "q"]},
             {"b": [1, None], "c": ["r", None]},
             {"a": ["y", "z"], "c": [None, "s"]}]
    columns = _Columns(pd)
    whole: dict[str, list] = {name: [] for name in "abc"}
    for page in pages:
        part = _Page(2, ".")
        for name, values in page.items():
            for row, value in enumerate(values):
                if value is not None:
                    part.put(name, row, value)
        columns.add(part)
        for name in whole:
            whole[name] += page.get(name, [None, None])
    if columns.text is not None:  # pandas 3: the text pages are compact already
        assert not isinstance(columns.chunks["c"][0][1], list)
    df = columns.frame(())
    for name, values in whole.items():
        pd.testing.assert_series_equal(df[name], pd.Series(values, name=name))


def test_a_category_named_column_of_lists_stays_a_column_of_lists():
    """A custom attribute named like a canonical enumeration (``priority``) holding lists
    (Brevo multiple-choice values) cannot be categorical: it stays as it is."""
    from chatmodels.frames import _Columns, _Page

    part = _Page(2, ".")
    part.put("custom_attributes.priority", 0, ["a", "b"])
    part.put("role", 0, "user")
    part.put("role", 1, "lead")
    columns = _Columns(pd)
    columns.add(part)
    df = columns.frame(())
    assert df["custom_attributes.priority"].tolist() == [["a", "b"], None]
    assert df["role"].dtype == "category"
