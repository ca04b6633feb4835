-- Case dup_visitor_id: u002 appears twice.
{{ config(enabled=var('pendo_validate_case', '') == 'dup_visitor_id', post_hook="{{ pendo_sync.validate() }}") }}

select 'u001' as user_id, 'pro' as plan
union all
select 'u002', 'free'
union all
select 'u002', 'pro'
