-- One row per Pendo account, with figures the customer-success team segments on.
select
    account_id,
    name,
    plan as plan_tier,
    arr_usd,
    renewal_date,
    health_score
from {{ ref('accounts') }}
