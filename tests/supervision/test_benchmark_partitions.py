"""``benchmark_partitions``: the rewrites it measures with (the timings themselves are never asserted).

A unique index of the plain table keeps its meaning on the partitioned copy only with the partition key in
its key; the pruned variant adds the county only beside predicates that already imply it.
"""

from supervision.management.commands.benchmark_partitions import (
    Scenario,
    partitioned_index,
    pruned,
    touches_history,
)


def test_unique_indexes_get_the_partition_key_in_their_key():
    assert (
        partitioned_index("CREATE UNIQUE INDEX cases_case_pkey ON public.cases_case USING btree (id)", "part")
        == "CREATE UNIQUE INDEX cases_case_pkey ON part.cases_case USING btree (id, county_code)"
    )
    assert partitioned_index(
        "CREATE UNIQUE INDEX one ON public.cases_assignment USING btree (case_id) INCLUDE (status) "
        "WHERE ((role)::text = 'lead'::text)",
        "part",
    ) == (
        "CREATE UNIQUE INDEX one ON part.cases_assignment USING btree (case_id, county_code) INCLUDE (status) "
        "WHERE ((role)::text = 'lead'::text)"
    )
    plain = "CREATE INDEX case_taken_idx ON public.cases_case USING btree (taken_in_at DESC, id DESC)"
    assert partitioned_index(plain, "part") == plain.replace("public.", "part.")


def test_the_county_is_added_only_where_a_predicate_implies_it():
    scenario = Scenario("x", [], county="330603", case_counties={42: "330603"})
    sql = (
        'SELECT 1 FROM "cases_case" WHERE ("cases_case"."region_path"::text LIKE \'/330603/%\' '
        'AND "cases_case"."tracking_number" = \'3306030012026\' AND "cases_case"."id" = 42 '
        'AND "cases_case"."id" = 421)'
    )
    assert pruned(sql, scenario) == (
        'SELECT 1 FROM "cases_case" WHERE ("cases_case"."region_path"::text LIKE \'/330603/%\' '
        'AND "cases_case"."county_code" = \'330603\' '
        'AND "cases_case"."tracking_number" = \'3306030012026\' AND "cases_case"."county_code" = \'330603\' '
        'AND "cases_case"."id" = 42 AND "cases_case"."county_code" = \'330603\' AND "cases_case"."id" = 421)'
    )
    subquery = "U0.\"region_path\"::text LIKE '/330601/001/%'"
    assert pruned(subquery, scenario) == subquery + " AND U0.\"county_code\" = '330601'"
    # A case is handled inside the county that took it in, so the handling path implies the county too.
    handled = '"cases_case"."handling_region_path"::text LIKE \'/330601/%\''
    assert pruned(handled, scenario) == handled + ' AND "cases_case"."county_code" = \'330601\''


def test_only_reads_of_the_history_are_replayed():
    assert touches_history('SELECT 1 FROM "cases_caseevent"')
    assert not touches_history('SELECT 1 FROM "routing_region"')
    assert not touches_history('UPDATE "cases_case" SET x = 1')
    assert not touches_history('SAVEPOINT "s1"')
