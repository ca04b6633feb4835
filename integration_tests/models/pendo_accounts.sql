select account_id, name, plan, arr_usd, renewal_date
from {{ ref('accounts') }}
