//! What an invoice keeps of its parties at issue, and the account's invoice logo.

use super::*;

backend_tests! {
    async fn an_issued_invoice_keeps_the_billing_details_and_seller_block_it_was_issued_with(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, None).await;
        let seller = |name: &str| {
            let name = name.to_owned();
            move |s: InvoiceSettings| InvoiceSettings { legal_name: Some(name), ..s }
        };
        invoice_settings::update(&db.app, &op(&account.id), seller("Acme Cloud GmbH"), db.now()).await.unwrap();
        let open = invoices::create(&db.app, &op(&account.id), new_invoice(&customer, Some(InvoiceStatus::Open)), db.now())
            .await
            .unwrap();
        let draft = invoices::create(&db.app, &op(&account.id), new_invoice(&customer, Some(InvoiceStatus::Draft)), db.now())
            .await
            .unwrap();
        assert_eq!(db.store.issued_parties(&account.id, &draft.id).await.unwrap(), None, "a draft is not issued");

        let moved = CustomerPatch {
            name: Some("Łódź Spółka z o.o.".into()),
            address: Some(Address { city: Some("Łódź".into()), country: Some("PL".into()), ..Address::default() }),
            tax_id: Some(Some("PL1234567890".into())),
            invoice_recipients: Some(vec!["ksiegowosc@lodz.example".into()]),
            ..CustomerPatch::default()
        };
        customers::update(&db.app, &op(&account.id), &by_id(&customer), moved, db.now()).await.unwrap();
        invoice_settings::update(&db.app, &op(&account.id), seller("Acme Cloud SE"), db.now()).await.unwrap();

        let kept = db.store.issued_parties(&account.id, &open.id).await.unwrap().unwrap();
        assert_eq!(kept.customer_name, "Acme GmbH");
        assert_eq!(kept.customer_address, Address::default());
        assert_eq!(kept.customer_tax_id, None);
        assert!(kept.customer_invoice_recipients.is_empty());
        assert_eq!(kept.customer_email.as_deref(), Some("billing@acme.example"));
        assert_eq!(kept.settings.invoice.legal_name.as_deref(), Some("Acme Cloud GmbH"));
        // Paying it later saves it again: what it keeps stays.
        let paid = InvoicePatch { status: Some(InvoiceStatus::Paid), ..InvoicePatch::default() };
        invoices::update(&db.app, &op(&account.id), &open.id, paid, db.now()).await.unwrap();
        assert_eq!(db.store.issued_parties(&account.id, &open.id).await.unwrap().unwrap(), kept);

        // The draft, issued after the edits, shows them.
        let issue = InvoicePatch { status: Some(InvoiceStatus::Open), ..InvoicePatch::default() };
        invoices::update(&db.app, &op(&account.id), &draft.id, issue, db.now()).await.unwrap();
        let later = db.store.issued_parties(&account.id, &draft.id).await.unwrap().unwrap();
        assert_eq!(later.customer_name, "Łódź Spółka z o.o.");
        assert_eq!(later.customer_tax_id.as_deref(), Some("PL1234567890"));
        assert_eq!(later.customer_invoice_recipients, ["ksiegowosc@lodz.example"]);
        assert_eq!(later.settings.invoice.legal_name.as_deref(), Some("Acme Cloud SE"));
        let current = db.store.customer(&account.id, &by_id(&customer)).await.unwrap();
        assert_eq!(later.customer(&current).address.city.as_deref(), Some("Łódź"));

        // Another account sees nothing of it.
        let other = db.account("globex").await;
        assert_eq!(db.store.issued_parties(&other.id, &draft.id).await.unwrap(), None);
    }

    async fn the_invoice_logo_is_replaced_and_removed(db: Db) {
        let account = db.account("acme").await;
        let other = db.account("globex").await;
        assert_eq!(db.store.invoice_logo(&account.id).await.unwrap(), None);
        let png = InvoiceLogo { content_type: "image/png".into(), data: vec![0x89, b'P', b'N', b'G', 0, 255] };
        db.store.set_invoice_logo(&account.id, Some(&png), db.now()).await.unwrap();
        assert_eq!(db.store.invoice_logo(&account.id).await.unwrap(), Some(png));
        let jpeg = InvoiceLogo { content_type: "image/jpeg".into(), data: vec![0xff, 0xd8, 0xff] };
        db.store.set_invoice_logo(&account.id, Some(&jpeg), db.now()).await.unwrap();
        assert_eq!(db.store.invoice_logo(&account.id).await.unwrap(), Some(jpeg));
        assert_eq!(db.store.invoice_logo(&other.id).await.unwrap(), None);
        db.store.set_invoice_logo(&account.id, None, db.now()).await.unwrap();
        assert_eq!(db.store.invoice_logo(&account.id).await.unwrap(), None);
    }
}
