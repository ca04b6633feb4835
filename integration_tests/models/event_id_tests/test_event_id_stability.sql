-- A row's id depends on that row only, and on nothing about the query computing it:
--   id_full     computed over the whole table, in this query
--   id_one_row  computed in a subquery that sees that row alone (relation form)
--   id_stored   computed by another model (test_event_id_rows), in an earlier statement
select
    full_table.case_id,
    full_table.row_side,
    {{ pendo_sync.event_id(columns=["full_table.c1", "full_table.c2", "full_table.c3"]) }} as id_full,
    (
        select {{ pendo_sync.event_id(ref('event_id_values')) }}
        from {{ ref('event_id_cases_decoded') }} as one_row
        where one_row.case_id = full_table.case_id and one_row.row_side = full_table.row_side
    ) as id_one_row,
    stored.id_relation as id_stored
from {{ ref('event_id_cases_decoded') }} as full_table
inner join {{ ref('test_event_id_rows') }} as stored
    on full_table.case_id = stored.case_id and full_table.row_side = stored.row_side
