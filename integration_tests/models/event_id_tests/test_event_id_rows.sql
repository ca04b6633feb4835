-- One row per case row: the id from every form of the macro, and the independently computed expected id.
-- The relation form introspects event_id_values (c1, c2, c3) and, as its columns are named unqualified,
-- evaluates here over the cases table, which has the same columns.
select
    case_id,
    row_side,
    expect,
    c1,
    c2,
    c3,
    expected_id,
    {{ pendo_sync.event_id(ref('event_id_values')) }} as id_relation,
    {{ pendo_sync.event_id(columns=['c1', 'c2', 'c3']) }} as id_columns,
    {{ pendo_sync.event_id(columns=['c1', 'c2', 'c3']) }} as id_columns_again,
    {{ pendo_sync.event_id(columns=['c2', 'c1', 'c3']) }} as id_c2_c1_c3,
    case when c1 = c2 or (c1 is null and c2 is null) then false else true end as c1_differs_from_c2
from {{ ref('event_id_cases_decoded') }}
