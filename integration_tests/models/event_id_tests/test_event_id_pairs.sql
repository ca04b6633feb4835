-- One row per case: do the two rows' ids differ? Expected: differ exactly when the case says so.
select
    a.case_id,
    a.expect,
    a.id_relation <> b.id_relation as relation_ids_differ,
    a.id_columns <> b.id_columns as column_ids_differ,
    a.expect = 'differ' as expected_to_differ
from {{ ref('test_event_id_rows') }} as a
inner join {{ ref('test_event_id_rows') }} as b
    on a.case_id = b.case_id
    and a.row_side = 'a'
    and b.row_side = 'b'
