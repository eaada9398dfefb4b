--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: _sqlx_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._sqlx_migrations (
    version bigint NOT NULL,
    description text NOT NULL,
    installed_on timestamp with time zone DEFAULT now() NOT NULL,
    success boolean NOT NULL,
    checksum bytea NOT NULL,
    execution_time bigint NOT NULL
);


--
-- Name: accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.accounts (
    id text NOT NULL COLLATE pg_catalog."C",
    subdomain text NOT NULL,
    name text NOT NULL,
    settings text NOT NULL,
    invoice_seq bigint DEFAULT 0 NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    scopes text NOT NULL,
    secret_sha256 text NOT NULL,
    created_at bigint NOT NULL,
    last_used_at bigint,
    expires_at bigint,
    revoked_at bigint
);


--
-- Name: browser_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.browser_sessions (
    cookie_sha256 text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    portal_session_id text NOT NULL COLLATE pg_catalog."C",
    csrf_secret text NOT NULL,
    created_at bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    ended_at bigint
);


--
-- Name: change_counter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.change_counter (
    id integer NOT NULL,
    generation bigint NOT NULL,
    CONSTRAINT change_counter_id_check CHECK ((id = 1))
);


--
-- Name: changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.changes (
    generation bigint NOT NULL,
    account_id text NOT NULL,
    customer_id text,
    changed_at bigint NOT NULL
);


--
-- Name: contacts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contacts (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    customer_id text NOT NULL COLLATE pg_catalog."C",
    external_id text,
    email text NOT NULL,
    name text,
    portal_access boolean NOT NULL,
    role text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    deleted_at bigint
);


--
-- Name: customers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customers (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    alias text,
    name text NOT NULL,
    email text,
    currency text NOT NULL,
    address text NOT NULL,
    tax_id text,
    portal_enabled boolean NOT NULL,
    metadata text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    deleted_at bigint
);


--
-- Name: idempotency_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.idempotency_keys (
    account_id text NOT NULL COLLATE pg_catalog."C",
    key text NOT NULL,
    fingerprint text NOT NULL,
    status bigint,
    body bytea,
    created_at bigint NOT NULL
);


--
-- Name: invoices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.invoices (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    number text NOT NULL,
    customer_id text NOT NULL COLLATE pg_catalog."C",
    subscription_id text COLLATE pg_catalog."C",
    status text NOT NULL,
    currency text NOT NULL,
    lines text NOT NULL,
    subtotal bigint NOT NULL,
    tax_rate_bps bigint NOT NULL,
    tax bigint NOT NULL,
    total bigint NOT NULL,
    amount_paid bigint NOT NULL,
    amount_due bigint NOT NULL,
    issued_at bigint,
    due_at bigint,
    paid_at bigint,
    metadata text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: oauth_clients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oauth_clients (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    scopes text NOT NULL,
    secret_sha256 text NOT NULL,
    created_at bigint NOT NULL,
    revoked_at bigint
);


--
-- Name: oauth_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oauth_tokens (
    token_sha256 text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    client_id text NOT NULL COLLATE pg_catalog."C",
    scopes text NOT NULL,
    expires_at bigint NOT NULL
);


--
-- Name: payment_methods; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.payment_methods (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    customer_id text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL,
    brand text,
    last4 text NOT NULL,
    exp_month bigint,
    exp_year bigint,
    is_default boolean NOT NULL,
    provider_ref text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    deleted_at bigint
);


--
-- Name: plans; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.plans (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    product_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    billing_interval text NOT NULL,
    interval_count bigint NOT NULL,
    unit_amount bigint NOT NULL,
    currency text NOT NULL,
    self_service boolean NOT NULL,
    trial_days bigint NOT NULL,
    active boolean NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: portal_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.portal_sessions (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    customer_id text NOT NULL COLLATE pg_catalog."C",
    contact_id text COLLATE pg_catalog."C",
    scopes text NOT NULL,
    return_url text,
    locale text,
    page text NOT NULL,
    issued_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked_at bigint,
    issued_by text NOT NULL,
    entered_at bigint
);


--
-- Name: products; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.products (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL,
    description text,
    self_service boolean NOT NULL,
    active boolean NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: redirect_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.redirect_tokens (
    token_sha256 text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    portal_session_id text NOT NULL COLLATE pg_catalog."C",
    expires_at bigint NOT NULL,
    used_at bigint
);


--
-- Name: signing_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signing_keys (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    algorithm text NOT NULL,
    public_key text NOT NULL,
    sealed_private_key text NOT NULL,
    created_at bigint NOT NULL,
    retired_at bigint,
    revoked_at bigint
);


--
-- Name: subscriptions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.subscriptions (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    customer_id text NOT NULL COLLATE pg_catalog."C",
    plan_id text NOT NULL COLLATE pg_catalog."C",
    quantity bigint NOT NULL,
    status text NOT NULL,
    current_period_start bigint NOT NULL,
    current_period_end bigint NOT NULL,
    trial_end bigint,
    cancel_at_period_end boolean NOT NULL,
    canceled_at bigint,
    cancel_reason text,
    metadata text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Name: transactions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.transactions (
    id text NOT NULL COLLATE pg_catalog."C",
    account_id text NOT NULL COLLATE pg_catalog."C",
    customer_id text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL,
    status text NOT NULL,
    amount bigint NOT NULL,
    currency text NOT NULL,
    invoice_id text COLLATE pg_catalog."C",
    payment_method_id text COLLATE pg_catalog."C",
    description text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);


--
-- Data for Name: _sqlx_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._sqlx_migrations VALUES (1, 'init', '2026-11-30 11:42:22.323309+00', true, '\x551af304bbb8b71f88967b85f9494df47c5990956b5ea1a0b2036f3923618ec0df8d3b3bfdc1b1fef775523d68e6b39f', 176998852);
INSERT INTO public._sqlx_migrations VALUES (2, 'portal access', '2026-11-30 11:42:22.503132+00', true, '\x84092fcecd71b4972af96e7fb5061c2ce24ff44889273a132fb378b78b385fe9b958177f89f1038b716118a73d0cc21e', 58406200);
INSERT INTO public._sqlx_migrations VALUES (3, 'purge indexes', '2026-11-30 11:42:22.560663+00', true, '\x6b2ca61ff8bb81be4125bb3896b83df550647609a4cae3aceaa4224c6e0ee379e2b9a67d307971d36f1b67b81475af24', 12890519);
INSERT INTO public._sqlx_migrations VALUES (4, 'changes', '2026-11-30 11:42:22.573788+00', true, '\x9e22c9c6d2e055c1cc8d8ecd0d252fa1947d1b2cf73ac3cba7a92c327786f055c2852ba8a67a3391811539b72b0e5da1', 25910669);
INSERT INTO public._sqlx_migrations VALUES (5, 'portal entry', '2026-11-30 11:42:22.599982+00', true, '\x1a983d1faf844d059cb099a0e030e4defa8c0e6c83d8f8205fdb450c1ebcaae04bfdd3df1b0a71a2c00c5ab16d64522d', 537787);


--
-- Data for Name: accounts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.accounts VALUES ('acct_01kdvdnazf5e1bsjzj79agg809', 'upgrade', 'Upgrade GmbH', '{"branding":{"display_name":"Upgrade","logo_url":"https://cdn.example/logo.png","primary_color":"#0055aa","support_email":"help@upgrade.example","support_url":"https://upgrade.example/help"},"features":{"subscriptions":true,"invoices":true,"transactions":true,"payment_methods":true,"account":true,"cancel":false,"plan_change":true,"quantity_change":false},"default_locale":"de","allowed_origins":["https://app.upgrade.example"],"default_return_url":"https://app.upgrade.example/billing","link_reentry":true}', 1, 1767225601007, 1767225602007);


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.api_keys VALUES ('key_01kdvdncxzq1080sxhdyxdb4y7', 'acct_01kdvdnazf5e1bsjzj79agg809', 'Backend', 'customers:read billing:write', 'e5b6abefe4440ba022b2a6ca2dfa065ce8b0997e3a4d64726c00fd0d1f407374', 1767225603007, 1767225604007, 1767312000007, NULL);


--
-- Data for Name: browser_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.browser_sessions VALUES ('d7e83e28a04b537e64424546b14caf9b67bad2f28dabce68116e0d372319fa00', 'acct_01kdvdnazf5e1bsjzj79agg809', 'ps_01kdvdnqnq1r70w3ge1r70w3ge', '7ce12ba8782a32f74357cefb81edb8c20ea4d755115ecb4063348b8cc9d41f34', 1767225616007, 1767225617007, NULL);


--
-- Data for Name: change_counter; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.change_counter VALUES (1, 7);


--
-- Data for Name: changes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.changes VALUES (1, 'acct_01kdvdnazf5e1bsjzj79agg809', NULL, 1796038942612);
INSERT INTO public.changes VALUES (2, 'acct_01kdvdnazf5e1bsjzj79agg809', NULL, 1796038942626);
INSERT INTO public.changes VALUES (3, 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 1796038942667);
INSERT INTO public.changes VALUES (4, 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 1796038942676);
INSERT INTO public.changes VALUES (5, 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 1796038942695);
INSERT INTO public.changes VALUES (6, 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 1796038942707);
INSERT INTO public.changes VALUES (7, 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 1796038942723);


--
-- Data for Name: contacts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.contacts VALUES ('ctc_01kdvdngtznb943w4s321xp0re', 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 'user-9', 'ana@acme.example', 'Ana', true, 'billing', 1767225607007, 1767225607007, NULL);


--
-- Data for Name: customers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.customers VALUES ('cus_01kdvdnfvqw15mwj5dcdkf7mez', 'acct_01kdvdnazf5e1bsjzj79agg809', 'tenant-42', 'Acme Ltd', 'billing@acme.example', 'EUR', '{"line1":"Hauptstr. 1","line2":null,"city":"Berlin","state":null,"postal_code":"10115","country":"DE"}', 'DE123456789', true, '{"crm":"7"}', 1767225606007, 1767225606007, NULL);


--
-- Data for Name: idempotency_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.idempotency_keys VALUES ('acct_01kdvdnazf5e1bsjzj79agg809', 'order-2026-0001', '1f58b9145b24d108d7ac38887338b3ea3229833b9c1e418250343f907bfd1047', 201, '\x7b226964223a226375735f31227d', 1767225619007);


--
-- Data for Name: invoices; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.invoices VALUES ('inv_01kdvdnmqz8pa7rs28v52s346m', 'acct_01kdvdnazf5e1bsjzj79agg809', 'UPGRADE-0001', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 'sub_01kdvdnkrq0t0dwwzqqm44x6ec', 'paid', 'EUR', '[{"description":"Pro × 3","quantity":3,"unit_amount":29000,"amount":87000,"period_start":null,"period_end":null},{"description":"Discount","quantity":1,"unit_amount":-5000,"amount":-5000,"period_start":null,"period_end":null}]', 82000, 1900, 15580, 97580, 98175, 0, 1767225611007, 1769817611007, 1767225613007, '{"po":"PO-1"}', 1767225611007, 1767225613007);


--
-- Data for Name: oauth_clients; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oauth_clients VALUES ('cli_01kdvdnvjqra1gmb676pqb2xhr', 'acct_01kdvdnazf5e1bsjzj79agg809', 'Zapier', 'customers:read billing:write', 'e934524395ab8aa265a88f10538ab034b8196fb8d369e6fe3d519ed16bde4030', 1767225618007, NULL);


--
-- Data for Name: oauth_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oauth_tokens VALUES ('0c3d46946bbf99c8213dd7f6c640ed6433bdc056a5b68e7e80f5525311b0ca11', 'acct_01kdvdnazf5e1bsjzj79agg809', 'cli_01kdvdnvjqra1gmb676pqb2xhr', 'customers:read billing:write', 1767232800007);


--
-- Data for Name: payment_methods; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.payment_methods VALUES ('pm_01kdvdnnq7x8ebzbwvdkkgsx3s', 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 'card', 'visa', '4242', 12, 2030, true, 'pm_test_1', 1767225612007, 1767225612007, NULL);


--
-- Data for Name: plans; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.plans VALUES ('plan_01kdvdnjsfkdyrrma31mtmmgy1', 'acct_01kdvdnazf5e1bsjzj79agg809', 'prod_01kdvdnht7qhnt5dspz0sjeesy', 'Pro', 'year', 1, 29000, 'EUR', true, 14, true, 1767225609007, 1767225609007);


--
-- Data for Name: portal_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.portal_sessions VALUES ('ps_01kdvdnqnq1r70w3ge1r70w3ge', 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 'ctc_01kdvdngtznb943w4s321xp0re', 'subscriptions:read invoices:read payment_methods:read account:read', 'https://app.upgrade.example/back', 'de', 'overview', 1767225614007, 1769817614007, NULL, 'key_01kdvdncxzq1080sxhdyxdb4y7', NULL);


--
-- Data for Name: products; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.products VALUES ('prod_01kdvdnht7qhnt5dspz0sjeesy', 'acct_01kdvdnazf5e1bsjzj79agg809', 'Cloud', 'Hosted', true, true, 1767225608007, 1767225608007);


--
-- Data for Name: redirect_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.redirect_tokens VALUES ('d715a593b814497afe1bf18517bd31efb68c5e3dd5889cf8e2efe4987fa14a93', 'acct_01kdvdnazf5e1bsjzj79agg809', 'ps_01kdvdnqnq1r70w3ge1r70w3ge', 1767225645007, NULL);


--
-- Data for Name: signing_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.signing_keys VALUES ('sk_01kdvdnewf0m2ga1850m2ga185', 'acct_01kdvdnazf5e1bsjzj79agg809', 'EdDSA', '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'sealed:v1:AAECAwQF', 1767225605007, NULL, NULL);


--
-- Data for Name: subscriptions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.subscriptions VALUES ('sub_01kdvdnkrq0t0dwwzqqm44x6ec', 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 'plan_01kdvdnjsfkdyrrma31mtmmgy1', 3, 'trialing', 1767225610007, 1768435210007, 1768435210007, true, NULL, NULL, '{"seats":"3"}', 1767225610007, 1767225610007);


--
-- Data for Name: transactions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.transactions VALUES ('txn_01kdvdnppfnen9qpe1hsa32f19', 'acct_01kdvdnazf5e1bsjzj79agg809', 'cus_01kdvdnfvqw15mwj5dcdkf7mez', 'payment', 'succeeded', 98175, 'EUR', 'inv_01kdvdnmqz8pa7rs28v52s346m', 'pm_01kdvdnnq7x8ebzbwvdkkgsx3s', 'Invoice payment', 1767225613007, 1767225613007);


--
-- Name: _sqlx_migrations _sqlx_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public._sqlx_migrations
    ADD CONSTRAINT _sqlx_migrations_pkey PRIMARY KEY (version);


--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);


--
-- Name: accounts accounts_subdomain_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_subdomain_key UNIQUE (subdomain);


--
-- Name: api_keys api_keys_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_account_id_id_key UNIQUE (account_id, id);


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);


--
-- Name: browser_sessions browser_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.browser_sessions
    ADD CONSTRAINT browser_sessions_pkey PRIMARY KEY (cookie_sha256);


--
-- Name: change_counter change_counter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.change_counter
    ADD CONSTRAINT change_counter_pkey PRIMARY KEY (id);


--
-- Name: changes changes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.changes
    ADD CONSTRAINT changes_pkey PRIMARY KEY (generation);


--
-- Name: contacts contacts_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_account_id_id_key UNIQUE (account_id, id);


--
-- Name: contacts contacts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_pkey PRIMARY KEY (id);


--
-- Name: customers customers_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_account_id_id_key UNIQUE (account_id, id);


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- Name: idempotency_keys idempotency_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (account_id, key);


--
-- Name: invoices invoices_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_account_id_id_key UNIQUE (account_id, id);


--
-- Name: invoices invoices_account_id_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_account_id_number_key UNIQUE (account_id, number);


--
-- Name: invoices invoices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_pkey PRIMARY KEY (id);


--
-- Name: oauth_clients oauth_clients_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_clients
    ADD CONSTRAINT oauth_clients_account_id_id_key UNIQUE (account_id, id);


--
-- Name: oauth_clients oauth_clients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_clients
    ADD CONSTRAINT oauth_clients_pkey PRIMARY KEY (id);


--
-- Name: oauth_tokens oauth_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT oauth_tokens_pkey PRIMARY KEY (token_sha256);


--
-- Name: payment_methods payment_methods_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_methods
    ADD CONSTRAINT payment_methods_account_id_id_key UNIQUE (account_id, id);


--
-- Name: payment_methods payment_methods_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_methods
    ADD CONSTRAINT payment_methods_pkey PRIMARY KEY (id);


--
-- Name: plans plans_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plans
    ADD CONSTRAINT plans_account_id_id_key UNIQUE (account_id, id);


--
-- Name: plans plans_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plans
    ADD CONSTRAINT plans_pkey PRIMARY KEY (id);


--
-- Name: portal_sessions portal_sessions_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT portal_sessions_account_id_id_key UNIQUE (account_id, id);


--
-- Name: portal_sessions portal_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT portal_sessions_pkey PRIMARY KEY (id);


--
-- Name: products products_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.products
    ADD CONSTRAINT products_account_id_id_key UNIQUE (account_id, id);


--
-- Name: products products_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);


--
-- Name: redirect_tokens redirect_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redirect_tokens
    ADD CONSTRAINT redirect_tokens_pkey PRIMARY KEY (token_sha256);


--
-- Name: signing_keys signing_keys_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_keys
    ADD CONSTRAINT signing_keys_account_id_id_key UNIQUE (account_id, id);


--
-- Name: signing_keys signing_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_keys
    ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (id);


--
-- Name: subscriptions subscriptions_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_account_id_id_key UNIQUE (account_id, id);


--
-- Name: subscriptions subscriptions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_pkey PRIMARY KEY (id);


--
-- Name: transactions transactions_account_id_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_account_id_id_key UNIQUE (account_id, id);


--
-- Name: transactions transactions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_pkey PRIMARY KEY (id);


--
-- Name: browser_sessions_ended; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX browser_sessions_ended ON public.browser_sessions USING btree (ended_at);


--
-- Name: browser_sessions_last_seen; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX browser_sessions_last_seen ON public.browser_sessions USING btree (last_seen_at);


--
-- Name: changes_changed_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX changes_changed_at ON public.changes USING btree (changed_at);


--
-- Name: contacts_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contacts_customer ON public.contacts USING btree (account_id, customer_id, id);


--
-- Name: contacts_external_id; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX contacts_external_id ON public.contacts USING btree (account_id, external_id) WHERE (deleted_at IS NULL);


--
-- Name: customers_alias; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX customers_alias ON public.customers USING btree (account_id, alias) WHERE (deleted_at IS NULL);


--
-- Name: customers_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX customers_email ON public.customers USING btree (account_id, email);


--
-- Name: idempotency_keys_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idempotency_keys_created ON public.idempotency_keys USING btree (created_at);


--
-- Name: invoices_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invoices_customer ON public.invoices USING btree (account_id, customer_id, id);


--
-- Name: invoices_subscription; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invoices_subscription ON public.invoices USING btree (account_id, subscription_id, id);


--
-- Name: oauth_tokens_expires; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX oauth_tokens_expires ON public.oauth_tokens USING btree (expires_at);


--
-- Name: payment_methods_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX payment_methods_customer ON public.payment_methods USING btree (account_id, customer_id, id);


--
-- Name: payment_methods_default; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX payment_methods_default ON public.payment_methods USING btree (account_id, customer_id) WHERE (is_default AND (deleted_at IS NULL));


--
-- Name: plans_product; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plans_product ON public.plans USING btree (account_id, product_id, id);


--
-- Name: portal_sessions_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX portal_sessions_customer ON public.portal_sessions USING btree (account_id, customer_id, id);


--
-- Name: redirect_tokens_expires; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX redirect_tokens_expires ON public.redirect_tokens USING btree (expires_at);


--
-- Name: subscriptions_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX subscriptions_customer ON public.subscriptions USING btree (account_id, customer_id, id);


--
-- Name: subscriptions_plan; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX subscriptions_plan ON public.subscriptions USING btree (account_id, plan_id);


--
-- Name: transactions_customer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transactions_customer ON public.transactions USING btree (account_id, customer_id, id);


--
-- Name: transactions_invoice; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transactions_invoice ON public.transactions USING btree (account_id, invoice_id, id);


--
-- Name: transactions_payment_method; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX transactions_payment_method ON public.transactions USING btree (account_id, payment_method_id);


--
-- Name: api_keys api_keys_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: browser_sessions browser_sessions_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.browser_sessions
    ADD CONSTRAINT browser_sessions_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: browser_sessions browser_sessions_account_id_portal_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.browser_sessions
    ADD CONSTRAINT browser_sessions_account_id_portal_session_id_fkey FOREIGN KEY (account_id, portal_session_id) REFERENCES public.portal_sessions(account_id, id);


--
-- Name: contacts contacts_account_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_account_id_customer_id_fkey FOREIGN KEY (account_id, customer_id) REFERENCES public.customers(account_id, id);


--
-- Name: contacts contacts_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: customers customers_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: idempotency_keys idempotency_keys_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: invoices invoices_account_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_account_id_customer_id_fkey FOREIGN KEY (account_id, customer_id) REFERENCES public.customers(account_id, id);


--
-- Name: invoices invoices_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: invoices invoices_account_id_subscription_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_account_id_subscription_id_fkey FOREIGN KEY (account_id, subscription_id) REFERENCES public.subscriptions(account_id, id);


--
-- Name: oauth_clients oauth_clients_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_clients
    ADD CONSTRAINT oauth_clients_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: oauth_tokens oauth_tokens_account_id_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT oauth_tokens_account_id_client_id_fkey FOREIGN KEY (account_id, client_id) REFERENCES public.oauth_clients(account_id, id);


--
-- Name: oauth_tokens oauth_tokens_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT oauth_tokens_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: payment_methods payment_methods_account_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_methods
    ADD CONSTRAINT payment_methods_account_id_customer_id_fkey FOREIGN KEY (account_id, customer_id) REFERENCES public.customers(account_id, id);


--
-- Name: payment_methods payment_methods_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.payment_methods
    ADD CONSTRAINT payment_methods_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: plans plans_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plans
    ADD CONSTRAINT plans_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: plans plans_account_id_product_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plans
    ADD CONSTRAINT plans_account_id_product_id_fkey FOREIGN KEY (account_id, product_id) REFERENCES public.products(account_id, id);


--
-- Name: portal_sessions portal_sessions_account_id_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT portal_sessions_account_id_contact_id_fkey FOREIGN KEY (account_id, contact_id) REFERENCES public.contacts(account_id, id);


--
-- Name: portal_sessions portal_sessions_account_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT portal_sessions_account_id_customer_id_fkey FOREIGN KEY (account_id, customer_id) REFERENCES public.customers(account_id, id);


--
-- Name: portal_sessions portal_sessions_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.portal_sessions
    ADD CONSTRAINT portal_sessions_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: products products_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.products
    ADD CONSTRAINT products_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: redirect_tokens redirect_tokens_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redirect_tokens
    ADD CONSTRAINT redirect_tokens_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: redirect_tokens redirect_tokens_account_id_portal_session_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.redirect_tokens
    ADD CONSTRAINT redirect_tokens_account_id_portal_session_id_fkey FOREIGN KEY (account_id, portal_session_id) REFERENCES public.portal_sessions(account_id, id);


--
-- Name: signing_keys signing_keys_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_keys
    ADD CONSTRAINT signing_keys_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: subscriptions subscriptions_account_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_account_id_customer_id_fkey FOREIGN KEY (account_id, customer_id) REFERENCES public.customers(account_id, id);


--
-- Name: subscriptions subscriptions_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: subscriptions subscriptions_account_id_plan_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_account_id_plan_id_fkey FOREIGN KEY (account_id, plan_id) REFERENCES public.plans(account_id, id);


--
-- Name: transactions transactions_account_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_account_id_customer_id_fkey FOREIGN KEY (account_id, customer_id) REFERENCES public.customers(account_id, id);


--
-- Name: transactions transactions_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: transactions transactions_account_id_invoice_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_account_id_invoice_id_fkey FOREIGN KEY (account_id, invoice_id) REFERENCES public.invoices(account_id, id);


--
-- Name: transactions transactions_account_id_payment_method_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.transactions
    ADD CONSTRAINT transactions_account_id_payment_method_id_fkey FOREIGN KEY (account_id, payment_method_id) REFERENCES public.payment_methods(account_id, id);


--
-- PostgreSQL database dump complete
--


