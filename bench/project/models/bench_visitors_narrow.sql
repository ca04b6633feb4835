-- var('bench_visitors') visitors, three columns (an id and one field in each group): the memory guard's model.
select visitor_id, email, plan_tier from ({{ bench_visitor_rows(var('bench_visitors') | int) }}) v
