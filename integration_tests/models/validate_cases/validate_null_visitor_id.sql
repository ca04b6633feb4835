-- Case null_visitor_id: one of three rows has no user_id.
{{ config(enabled=var('pendo_validate_case', '') == 'null_visitor_id', post_hook="{{ pendo_sync.validate() }}") }}

select 'u001' as user_id, 'pro' as plan
union all
select null, 'free'
union all
select 'u003', 'pro'
