-- The event_id_cases seed with its value tokens decoded (see seeds/event_id_seeds.yml).
select
    case_id,
    row_side,
    expect,
    {%- for column in ['c1', 'c2', 'c3'] %}
    cast(case {{ column }}
        when '<null>' then null
        when '<empty>' then ''
        when '<null-string>' then 'null'
        else {{ column }}
    end as {{ dbt.type_string() }}) as {{ column }},
    {%- endfor %}
    expected_id
from {{ ref('event_id_cases') }}
