//! Every text the portal pages and invoice PDFs show, in English, German, French and Spanish.
//!
//! The catalogue is one table so that a missing translation is a compile error, not a blank on
//! a customer's screen. The tone is formal (Sie, vous, usted), as befits a billing page. French
//! uses a (narrow) no-break space before `: ; ? !` and typographic apostrophes throughout.

use portico_core::model::{
    DeclineCode, InvoiceStatus, PaymentMethodKind, SubscriptionStatus, TransactionKind,
    TransactionStatus,
};

use crate::Locale;

/// Declares `Msg`, its list of all variants, and `t`, from rows of four texts.
macro_rules! catalogue {
    ($($name:ident { en: $en:literal, de: $de:literal, fr: $fr:literal, es: $es:literal $(,)? })+) => {
        /// A text of the portal; `{name}` in a text is a placeholder that [`tf`] fills.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($name,)+
        }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$name),+];

            /// The variant's name, for logs and test failures.
            pub fn name(self) -> &'static str {
                match self {
                    $(Msg::$name => stringify!($name),)+
                }
            }
        }

        /// The text of `msg` in `locale`, placeholders left as they are.
        pub fn t(locale: Locale, msg: Msg) -> &'static str {
            let texts: [&'static str; 4] = match msg {
                $(Msg::$name => [$en, $de, $fr, $es],)+
            };
            match locale {
                Locale::En => texts[0],
                Locale::De => texts[1],
                Locale::Fr => texts[2],
                Locale::Es => texts[3],
            }
        }
    };
}

catalogue! {
    // Layout, navigation and accessibility.
    PortalTitle { en: "Billing portal", de: "Abrechnungsportal", fr: "Portail de facturation", es: "Portal de facturación" }
    SkipToContent { en: "Skip to content", de: "Zum Inhalt springen", fr: "Aller au contenu", es: "Saltar al contenido" }
    MainNavigation { en: "Main navigation", de: "Hauptnavigation", fr: "Navigation principale", es: "Navegación principal" }
    NavOverview { en: "Overview", de: "Übersicht", fr: "Vue d’ensemble", es: "Resumen" }
    NavSubscriptions { en: "Subscriptions", de: "Abonnements", fr: "Abonnements", es: "Suscripciones" }
    NavInvoices { en: "Invoices", de: "Rechnungen", fr: "Factures", es: "Facturas" }
    NavTransactions { en: "Transactions", de: "Zahlungen", fr: "Paiements", es: "Pagos" }
    NavPaymentMethods { en: "Payment methods", de: "Zahlungsmethoden", fr: "Moyens de paiement", es: "Métodos de pago" }
    NavAccount { en: "Billing details", de: "Rechnungsdaten", fr: "Informations de facturation", es: "Datos de facturación" }
    BackToVendor { en: "Back to {vendor}", de: "Zurück zu {vendor}", fr: "Retour à {vendor}", es: "Volver a {vendor}" }
    VendorLogo { en: "{vendor} logo", de: "Logo von {vendor}", fr: "Logo de {vendor}", es: "Logotipo de {vendor}" }
    LogOut { en: "Log out", de: "Abmelden", fr: "Se déconnecter", es: "Cerrar sesión" }
    SignedInAs { en: "Signed in as {email}", de: "Angemeldet als {email}", fr: "Connecté en tant que {email}", es: "Sesión iniciada como {email}" }
    Language { en: "Language", de: "Sprache", fr: "Langue", es: "Idioma" }
    Close { en: "Close", de: "Schließen", fr: "Fermer", es: "Cerrar" }
    OpensInNewWindow { en: "(opens in a new window)", de: "(öffnet in einem neuen Fenster)", fr: "(s’ouvre dans une nouvelle fenêtre)", es: "(se abre en una ventana nueva)" }
    Pagination { en: "Pagination", de: "Seitennavigation", fr: "Navigation entre les pages", es: "Paginación" }
    PageNewer { en: "Newer", de: "Neuere", fr: "Plus récentes", es: "Más recientes" }
    PageOlder { en: "Older", de: "Ältere", fr: "Plus anciennes", es: "Más antiguas" }
    CurrentPage { en: "Current page", de: "Aktuelle Seite", fr: "Page actuelle", es: "Página actual" }
    ViewAll { en: "View all", de: "Alle anzeigen", fr: "Tout afficher", es: "Ver todo" }
    Manage { en: "Manage", de: "Verwalten", fr: "Gérer", es: "Gestionar" }
    FooterQuestions { en: "Questions? Contact {support}", de: "Fragen? Wenden Sie sich an {support}", fr: "Des questions\u{202f}? Contactez {support}", es: "¿Tiene preguntas? Escriba a {support}" }

    // Overview.
    Welcome { en: "Welcome, {name}", de: "Willkommen, {name}", fr: "Bonjour {name}", es: "Hola, {name}" }
    CurrentPlan { en: "Current plan", de: "Aktueller Tarif", fr: "Formule actuelle", es: "Plan actual" }
    NextInvoice { en: "Next invoice", de: "Nächste Rechnung", fr: "Prochaine facture", es: "Próxima factura" }
    AmountOnDate { en: "{amount} on {date}", de: "{amount} am {date}", fr: "{amount} le {date}", es: "{amount} el {date}" }
    DefaultPaymentMethod { en: "Default payment method", de: "Standard-Zahlungsmethode", fr: "Moyen de paiement par défaut", es: "Método de pago predeterminado" }
    OpenBalance { en: "Open balance", de: "Offener Betrag", fr: "Solde dû", es: "Saldo pendiente" }
    NothingDue { en: "Nothing due. Thank you!", de: "Nichts offen. Vielen Dank!", fr: "Aucun montant dû. Merci\u{202f}!", es: "No hay importes pendientes. ¡Gracias!" }
    NoActiveSubscription { en: "No active subscription", de: "Kein aktives Abonnement", fr: "Aucun abonnement actif", es: "Ninguna suscripción activa" }
    NoPaymentMethod { en: "No payment method on file", de: "Keine Zahlungsmethode hinterlegt", fr: "Aucun moyen de paiement enregistré", es: "No hay ningún método de pago registrado" }

    // Subscriptions.
    Status { en: "Status", de: "Status", fr: "Statut", es: "Estado" }
    SubscriptionTrialing { en: "Trial", de: "Testphase", fr: "Période d’essai", es: "Periodo de prueba" }
    SubscriptionActive { en: "Active", de: "Aktiv", fr: "Actif", es: "Activa" }
    SubscriptionPastDue { en: "Past due", de: "Zahlung überfällig", fr: "Impayé", es: "Pago vencido" }
    SubscriptionCanceled { en: "Canceled", de: "Gekündigt", fr: "Résilié", es: "Cancelada" }
    CurrentPeriod { en: "Current period", de: "Aktueller Abrechnungszeitraum", fr: "Période en cours", es: "Periodo actual" }
    RenewsOn { en: "Renews on {date}", de: "Verlängert sich am {date}", fr: "Renouvellement le {date}", es: "Se renueva el {date}" }
    CancelsOn { en: "Cancels on {date}", de: "Endet am {date}", fr: "Prend fin le {date}", es: "Finaliza el {date}" }
    CanceledOn { en: "Canceled on {date}", de: "Gekündigt am {date}", fr: "Résilié le {date}", es: "Cancelada el {date}" }
    TrialEndsOn { en: "Trial ends on {date}", de: "Testphase endet am {date}", fr: "L’essai se termine le {date}", es: "La prueba finaliza el {date}" }
    Quantity { en: "Quantity", de: "Menge", fr: "Quantité", es: "Cantidad" }
    Price { en: "Price", de: "Preis", fr: "Prix", es: "Precio" }
    PricePerMonth { en: "{amount} per month", de: "{amount} pro Monat", fr: "{amount} par mois", es: "{amount} al mes" }
    PricePerYear { en: "{amount} per year", de: "{amount} pro Jahr", fr: "{amount} par an", es: "{amount} al año" }
    PriceEveryMonths { en: "{amount} every {count} months", de: "{amount} alle {count} Monate", fr: "{amount} tous les {count} mois", es: "{amount} cada {count} meses" }
    PriceEveryYears { en: "{amount} every {count} years", de: "{amount} alle {count} Jahre", fr: "{amount} tous les {count} ans", es: "{amount} cada {count} años" }
    CancelSubscription { en: "Cancel subscription", de: "Abonnement kündigen", fr: "Résilier l’abonnement", es: "Cancelar suscripción" }
    CancelNow { en: "Cancel now", de: "Sofort kündigen", fr: "Résilier immédiatement", es: "Cancelar ahora" }
    CancelAtPeriodEnd { en: "Cancel at the end of the period", de: "Zum Ende des Zeitraums kündigen", fr: "Résilier à la fin de la période", es: "Cancelar al final del periodo" }
    CancelReason { en: "Why are you canceling? (optional)", de: "Warum kündigen Sie? (optional)", fr: "Pourquoi résiliez-vous\u{202f}? (facultatif)", es: "¿Por qué cancela? (opcional)" }
    KeepSubscription { en: "Keep subscription", de: "Abonnement behalten", fr: "Conserver l’abonnement", es: "Mantener la suscripción" }
    Resume { en: "Resume", de: "Fortsetzen", fr: "Reprendre", es: "Reanudar" }
    ChangePlan { en: "Change plan", de: "Tarif wechseln", fr: "Changer de formule", es: "Cambiar de plan" }
    ChangeQuantity { en: "Change quantity", de: "Menge ändern", fr: "Modifier la quantité", es: "Cambiar la cantidad" }
    ChoosePlan { en: "Choose a plan", de: "Tarif wählen", fr: "Choisir une formule", es: "Elegir un plan" }
    NewQuantity { en: "New quantity", de: "Neue Menge", fr: "Nouvelle quantité", es: "Nueva cantidad" }
    CurrentBadge { en: "Current", de: "Aktuell", fr: "Actuelle", es: "Actual" }
    Preview { en: "Preview", de: "Vorschau", fr: "Aperçu", es: "Vista previa" }
    Confirm { en: "Confirm", de: "Bestätigen", fr: "Confirmer", es: "Confirmar" }
    CancelAction { en: "Cancel", de: "Abbrechen", fr: "Annuler", es: "Cancelar" }
    ProrationNotice { en: "Changes take effect immediately. You will be charged or credited the prorated difference for the rest of the current period.", de: "Änderungen gelten sofort. Die anteilige Differenz für den Rest des aktuellen Zeitraums wird Ihnen berechnet oder gutgeschrieben.", fr: "Les modifications prennent effet immédiatement. La différence au prorata pour le reste de la période en cours vous sera facturée ou créditée.", es: "Los cambios se aplican de inmediato. Se le cobrará o abonará la diferencia prorrateada por lo que queda del periodo actual." }
    ProrationCredit { en: "Credit for unused time on {plan}", de: "Gutschrift für nicht genutzte Zeit ({plan})", fr: "Crédit pour la période non utilisée ({plan})", es: "Abono por el tiempo no utilizado ({plan})" }
    ProrationCharge { en: "Remaining time on {plan}", de: "Restlaufzeit ({plan})", fr: "Période restante ({plan})", es: "Tiempo restante ({plan})" }
    ProrationDueToday { en: "Due today", de: "Heute fällig", fr: "À payer aujourd’hui", es: "A pagar hoy" }
    DueTodayCharged { en: "Confirming charges this to your default payment method; the change is made once the payment succeeds.", de: "Mit der Bestätigung wird dieser Betrag von Ihrer Standard-Zahlungsmethode abgebucht; die Änderung gilt, sobald die Zahlung erfolgreich ist.", fr: "La confirmation débite ce montant sur votre moyen de paiement par défaut\u{a0}; le changement s’applique dès que le paiement aboutit.", es: "Al confirmar se cobra este importe a su método de pago predeterminado; el cambio se aplica cuando el pago se completa." }
    DueTodayLeftOpen { en: "The change is made now and this amount is invoiced; pay the invoice from Invoices.", de: "Die Änderung gilt sofort und dieser Betrag wird in Rechnung gestellt; bezahlen Sie die Rechnung unter Rechnungen.", fr: "Le changement s’applique tout de suite et ce montant est facturé\u{a0}; réglez la facture depuis Factures.", es: "El cambio se aplica ahora y este importe se factura; pague la factura desde Facturas." }
    ProrationCreditedToAccount { en: "Credited to your account", de: "Ihrem Kundenkonto gutgeschrieben", fr: "Crédité sur votre compte", es: "Abonado en su cuenta" }
    NewPrice { en: "New price", de: "Neuer Preis", fr: "Nouveau prix", es: "Nuevo precio" }
    ReactivateSubscription { en: "Reactivate subscription", de: "Abonnement reaktivieren", fr: "Réactiver l’abonnement", es: "Reactivar la suscripción" }
    CancelWhen { en: "When should it end?", de: "Wann soll es enden?", fr: "Quand doit-il prendre fin\u{202f}?", es: "¿Cuándo debe finalizar?" }
    CancelEndsAtPeriodEnd { en: "{plan} stays active until {date}. Then it ends: the service stops and no further invoices are issued.", de: "{plan} bleibt bis zum {date} aktiv. Danach endet es: Der Dienst wird eingestellt und es werden keine weiteren Rechnungen gestellt.", fr: "{plan} reste actif jusqu’au {date}. Ensuite, il prend fin\u{202f}: le service s’arrête et aucune autre facture n’est émise.", es: "{plan} sigue activa hasta el {date}. Después finaliza: el servicio se detiene y no se emiten más facturas." }
    CancelEndsNow { en: "Canceling now ends {plan} today: the service stops at once and no further invoices are issued.", de: "Eine sofortige Kündigung beendet {plan} heute: Der Dienst wird sofort eingestellt und es werden keine weiteren Rechnungen gestellt.", fr: "Une résiliation immédiate met fin à {plan} aujourd’hui\u{202f}: le service s’arrête aussitôt et aucune autre facture n’est émise.", es: "Cancelar ahora finaliza {plan} hoy: el servicio se detiene de inmediato y no se emiten más facturas." }
    CancelRefundNote { en: "If you cancel now, {amount} is credited to your account for the unused rest of the period.", de: "Bei sofortiger Kündigung werden Ihnen {amount} für den ungenutzten Rest des Zeitraums gutgeschrieben.", fr: "En cas de résiliation immédiate, {amount} sont crédités sur votre compte pour le reste non utilisé de la période.", es: "Si cancela ahora, se abonan {amount} en su cuenta por el resto no utilizado del periodo." }
    CancelComment { en: "Anything else you would like to tell us? (optional)", de: "Möchten Sie uns noch etwas mitteilen? (optional)", fr: "Souhaitez-vous nous dire autre chose\u{202f}? (facultatif)", es: "¿Desea decirnos algo más? (opcional)" }
    ConfirmCancellation { en: "Confirm cancellation", de: "Kündigung bestätigen", fr: "Confirmer la résiliation", es: "Confirmar la cancelación" }
    Monthly { en: "Monthly", de: "Monatlich", fr: "Mensuel", es: "Mensual" }
    Yearly { en: "Yearly", de: "Jährlich", fr: "Annuel", es: "Anual" }
    QuantityBetween { en: "From {min} to {max}", de: "Von {min} bis {max}", fr: "De {min} à {max}", es: "De {min} a {max}" }
    QuantityOutOfRange { en: "Please choose a quantity from {min} to {max}.", de: "Bitte wählen Sie eine Menge von {min} bis {max}.", fr: "Veuillez choisir une quantité de {min} à {max}.", es: "Elija una cantidad de {min} a {max}." }
    ReviewChange { en: "Review your change", de: "Änderung prüfen", fr: "Vérifiez votre modification", es: "Revise su cambio" }
    TakesEffectNow { en: "The change takes effect now.", de: "Die Änderung gilt ab sofort.", fr: "La modification prend effet immédiatement.", es: "El cambio se aplica ahora." }
    TakesEffectOn { en: "The change takes effect on {date}, at the end of the current period. Nothing is charged now.", de: "Die Änderung gilt ab dem {date}, zum Ende des aktuellen Zeitraums. Jetzt wird nichts berechnet.", fr: "La modification prend effet le {date}, à la fin de la période en cours. Rien n’est facturé maintenant.", es: "El cambio se aplica el {date}, al final del periodo actual. No se cobra nada ahora." }
    NoProration { en: "Nothing is charged or credited for the current period.", de: "Für den aktuellen Zeitraum wird nichts berechnet oder gutgeschrieben.", fr: "Rien n’est facturé ni crédité pour la période en cours.", es: "No se cobra ni se abona nada por el periodo actual." }
    NextInvoiceOn { en: "Next invoice on {date}: {amount}", de: "Nächste Rechnung am {date}: {amount}", fr: "Prochaine facture le {date}\u{202f}: {amount}", es: "Próxima factura el {date}: {amount}" }
    ScheduledChange { en: "Changes to {plan} × {quantity} on {date}", de: "Wechselt am {date} zu {plan} × {quantity}", fr: "Passe à {plan} × {quantity} le {date}", es: "Cambia a {plan} × {quantity} el {date}" }
    WithdrawChange { en: "Withdraw change", de: "Änderung zurückziehen", fr: "Annuler la modification", es: "Retirar el cambio" }
    PreviewOutdated { en: "The price of this change has changed since you saw it. Please review it again.", de: "Der Preis dieser Änderung hat sich inzwischen geändert. Bitte prüfen Sie sie erneut.", fr: "Le prix de cette modification a changé depuis. Veuillez la vérifier à nouveau.", es: "El precio de este cambio ha cambiado. Revíselo de nuevo." }
    FlashCanceled { en: "Your subscription has been canceled.", de: "Ihr Abonnement wurde gekündigt.", fr: "Votre abonnement a été résilié.", es: "Su suscripción ha sido cancelada." }
    FlashCancelScheduled { en: "Your subscription will end at the end of the period.", de: "Ihr Abonnement endet zum Ende des Zeitraums.", fr: "Votre abonnement prendra fin à la fin de la période.", es: "Su suscripción finalizará al final del periodo." }
    FlashResumed { en: "Your subscription continues.", de: "Ihr Abonnement läuft weiter.", fr: "Votre abonnement continue.", es: "Su suscripción continúa." }
    FlashReactivated { en: "Your subscription is active again.", de: "Ihr Abonnement ist wieder aktiv.", fr: "Votre abonnement est de nouveau actif.", es: "Su suscripción vuelve a estar activa." }
    FlashChanged { en: "Your subscription has been changed.", de: "Ihr Abonnement wurde geändert.", fr: "Votre abonnement a été modifié.", es: "Su suscripción ha sido modificada." }
    FlashChangeScheduled { en: "Your change is scheduled for the end of the period.", de: "Ihre Änderung ist zum Ende des Zeitraums vorgemerkt.", fr: "Votre modification est prévue pour la fin de la période.", es: "Su cambio está previsto para el final del periodo." }
    FlashChangeWithdrawn { en: "The scheduled change has been withdrawn.", de: "Die vorgemerkte Änderung wurde zurückgezogen.", fr: "La modification prévue a été annulée.", es: "El cambio previsto ha sido retirado." }
    FlowOnlyTitle { en: "This link is for one task", de: "Dieser Link gilt für eine Aufgabe", fr: "Ce lien est réservé à une tâche", es: "Este enlace es para una sola tarea" }
    FlowOnlyBody { en: "This page is not part of it. Nothing was changed.", de: "Diese Seite gehört nicht dazu. Es wurde nichts geändert.", fr: "Cette page n’en fait pas partie. Rien n’a été modifié.", es: "Esta página no forma parte de ella. No se ha cambiado nada." }
    FlowBackToTask { en: "Back to your task", de: "Zurück zur Aufgabe", fr: "Revenir à la tâche", es: "Volver a la tarea" }
    FlowDoneTitle { en: "All done", de: "Erledigt", fr: "C’est fait", es: "Listo" }
    FlowDoneBody { en: "Your change has been saved.", de: "Ihre Änderung wurde gespeichert.", fr: "Votre modification a été enregistrée.", es: "Su cambio se ha guardado." }
    PausedUntil { en: "Paused until {date}", de: "Pausiert bis {date}", fr: "En pause jusqu’au {date}", es: "En pausa hasta el {date}" }
    PauseSubscription { en: "Pause payments", de: "Zahlungen pausieren", fr: "Suspendre les paiements", es: "Pausar los pagos" }
    PausePeriods { en: "Billing periods to skip", de: "Auszusetzende Abrechnungszeiträume", fr: "Périodes de facturation à suspendre", es: "Periodos de facturación a omitir" }
    UnpauseSubscription { en: "Resume payments now", de: "Zahlungen jetzt fortsetzen", fr: "Reprendre les paiements maintenant", es: "Reanudar los pagos ahora" }
    FlashPaused { en: "Your payments are paused.", de: "Ihre Zahlungen sind pausiert.", fr: "Vos paiements sont suspendus.", es: "Sus pagos están en pausa." }
    FlashUnpaused { en: "Your payments have resumed.", de: "Ihre Zahlungen laufen wieder.", fr: "Vos paiements ont repris.", es: "Sus pagos se han reanudado." }
    WaitingForPayment { en: "Changes to {plan} × {quantity} once {amount} is paid", de: "Wechselt zu {plan} × {quantity}, sobald {amount} bezahlt ist", fr: "Passe à {plan} × {quantity} dès le paiement de {amount}", es: "Cambia a {plan} × {quantity} cuando se pague {amount}" }
    NoSubscriptions { en: "No subscriptions yet", de: "Noch keine Abonnements", fr: "Aucun abonnement pour le moment", es: "Todavía no hay suscripciones" }

    // Transactions.
    Date { en: "Date", de: "Datum", fr: "Date", es: "Fecha" }
    TransactionType { en: "Type", de: "Art", fr: "Nature", es: "Tipo" }
    Description { en: "Description", de: "Beschreibung", fr: "Libellé", es: "Descripción" }
    Amount { en: "Amount", de: "Betrag", fr: "Montant", es: "Importe" }
    TransactionPayment { en: "Payment", de: "Zahlung", fr: "Paiement", es: "Pago" }
    TransactionRefund { en: "Refund", de: "Erstattung", fr: "Remboursement", es: "Reembolso" }
    TransactionCredit { en: "Credit", de: "Gutschrift", fr: "Avoir", es: "Abono" }
    TransactionPending { en: "Pending", de: "Ausstehend", fr: "En attente", es: "Pendiente" }
    TransactionSucceeded { en: "Succeeded", de: "Erfolgreich", fr: "Réussi", es: "Completado" }
    TransactionFailed { en: "Failed", de: "Fehlgeschlagen", fr: "Échoué", es: "Fallido" }
    ForInvoice { en: "For invoice {number}", de: "Zu Rechnung {number}", fr: "Pour la facture {number}", es: "De la factura {number}" }
    NoTransactions { en: "No transactions yet", de: "Noch keine Zahlungen", fr: "Aucun paiement pour le moment", es: "Todavía no hay pagos" }

    // Invoices, on the page and in the PDF.
    Invoice { en: "Invoice", de: "Rechnung", fr: "Facture", es: "Factura" }
    InvoiceTitle { en: "Invoice {number}", de: "Rechnung {number}", fr: "Facture {number}", es: "Factura {number}" }
    InvoiceNumber { en: "Invoice number", de: "Rechnungsnummer", fr: "Numéro de facture", es: "Número de factura" }
    Number { en: "Number", de: "Nummer", fr: "Numéro", es: "Número" }
    IssueDate { en: "Date of issue", de: "Rechnungsdatum", fr: "Date d’émission", es: "Fecha de emisión" }
    DueDate { en: "Due date", de: "Fälligkeitsdatum", fr: "Date d’échéance", es: "Fecha de vencimiento" }
    PaidOn { en: "Paid on", de: "Bezahlt am", fr: "Payée le", es: "Pagada el" }
    InvoiceDraft { en: "Draft", de: "Entwurf", fr: "Brouillon", es: "Borrador" }
    InvoiceOpen { en: "Open", de: "Offen", fr: "À payer", es: "Pendiente" }
    InvoicePaid { en: "Paid", de: "Bezahlt", fr: "Payée", es: "Pagada" }
    InvoiceVoid { en: "Void", de: "Storniert", fr: "Annulée", es: "Anulada" }
    InvoiceUncollectible { en: "Uncollectible", de: "Uneinbringlich", fr: "Irrécouvrable", es: "Incobrable" }
    DownloadPdf { en: "Download PDF", de: "PDF herunterladen", fr: "Télécharger le PDF", es: "Descargar PDF" }
    Pdf { en: "PDF", de: "PDF", fr: "PDF", es: "PDF" }
    DownloadInvoicePdf { en: "Download invoice {number} as PDF", de: "Rechnung {number} als PDF herunterladen", fr: "Télécharger la facture {number} en PDF", es: "Descargar la factura {number} en PDF" }
    ViewInvoice { en: "View invoice", de: "Rechnung ansehen", fr: "Voir la facture", es: "Ver factura" }
    PayNow { en: "Pay now", de: "Jetzt bezahlen", fr: "Payer maintenant", es: "Pagar ahora" }
    BillTo { en: "Bill to", de: "Rechnungsempfänger", fr: "Facturé à", es: "Facturar a" }
    LineDescription { en: "Description", de: "Beschreibung", fr: "Désignation", es: "Concepto" }
    UnitPrice { en: "Unit price", de: "Einzelpreis", fr: "Prix unitaire", es: "Precio unitario" }
    Subtotal { en: "Subtotal", de: "Zwischensumme", fr: "Sous-total", es: "Subtotal" }
    Tax { en: "Tax", de: "Steuern", fr: "Taxes", es: "Impuestos" }
    TaxWithRate { en: "Tax ({rate})", de: "Steuern ({rate})", fr: "Taxes ({rate})", es: "Impuestos ({rate})" }
    Total { en: "Total", de: "Gesamtbetrag", fr: "Total", es: "Total" }
    AmountPaid { en: "Amount paid", de: "Bezahlter Betrag", fr: "Montant payé", es: "Importe pagado" }
    AmountDue { en: "Amount due", de: "Fälliger Betrag", fr: "Montant dû", es: "Importe pendiente" }
    AmountDueBy { en: "{amount} due {date}", de: "{amount} fällig am {date}", fr: "{amount} à régler avant le {date}", es: "{amount} a pagar antes del {date}" }
    AmountPaidOn { en: "{amount} paid on {date}", de: "{amount} bezahlt am {date}", fr: "{amount} réglé le {date}", es: "{amount} pagado el {date}" }
    Period { en: "Period", de: "Zeitraum", fr: "Période", es: "Periodo" }
    TaxId { en: "Tax ID", de: "USt-IdNr.", fr: "N° de TVA", es: "NIF" }
    TaxIdValue { en: "Tax ID: {id}", de: "USt-IdNr.: {id}", fr: "N° de TVA\u{a0}: {id}", es: "NIF: {id}" }
    ThankYou { en: "Thank you for your business.", de: "Vielen Dank für Ihr Vertrauen.", fr: "Merci de votre confiance.", es: "Gracias por su confianza." }
    PageOf { en: "Page {page} of {pages}", de: "Seite {page} von {pages}", fr: "Page {page} sur {pages}", es: "Página {page} de {pages}" }
    InvalidTaxId { en: "This tax ID does not have the format of the country above, for example {example}.", de: "Diese Steuernummer hat nicht das Format des oben gewählten Landes, zum Beispiel {example}.", fr: "Ce numéro fiscal n’a pas le format du pays indiqué ci-dessus, par exemple {example}.", es: "Este número fiscal no tiene el formato del país indicado arriba, por ejemplo {example}." }
    PdfTaxWithRate { en: "VAT ({rate})", de: "USt. ({rate})", fr: "TVA ({rate})", es: "IVA ({rate})" }
    PdfPaymentInstructions { en: "Payment instructions", de: "Zahlungshinweise", fr: "Modalités de paiement", es: "Instrucciones de pago" }
    InvoiceOverdue { en: "Overdue", de: "Überfällig", fr: "En retard", es: "Vencida" }
    PdfFontMissing { en: "Some characters cannot be shown: the font {font} is not installed on the server.", de: "Einige Zeichen können nicht angezeigt werden: Die Schrift {font} ist auf dem Server nicht installiert.", fr: "Certains caractères ne peuvent pas être affichés\u{a0}: la police {font} n’est pas installée sur le serveur.", es: "Algunos caracteres no se pueden mostrar: la fuente {font} no está instalada en el servidor." }
    ContinuedOnNextPage { en: "Continued on the next page", de: "Fortsetzung auf der nächsten Seite", fr: "Suite à la page suivante", es: "Continúa en la página siguiente" }
    NoInvoices { en: "No invoices yet", de: "Noch keine Rechnungen", fr: "Aucune facture pour le moment", es: "Todavía no hay facturas" }

    // Payment methods.
    Card { en: "Card", de: "Karte", fr: "Carte", es: "Tarjeta" }
    SepaDebit { en: "SEPA Direct Debit", de: "SEPA-Lastschrift", fr: "Prélèvement SEPA", es: "Adeudo directo SEPA" }
    UsBankAccount { en: "US bank account", de: "US-Bankkonto", fr: "Compte bancaire américain", es: "Cuenta bancaria estadounidense" }
    CardEnding { en: "{brand} ending in {last4}", de: "{brand} mit Endziffern {last4}", fr: "{brand} se terminant par {last4}", es: "{brand} terminada en {last4}" }
    AccountEnding { en: "Account ending in {last4}", de: "Konto mit Endziffern {last4}", fr: "Compte se terminant par {last4}", es: "Cuenta terminada en {last4}" }
    Expires { en: "Expires {expiry}", de: "Gültig bis {expiry}", fr: "Expire fin {expiry}", es: "Válida hasta {expiry}" }
    Expired { en: "Expired", de: "Abgelaufen", fr: "Expirée", es: "Caducada" }
    DefaultBadge { en: "Default", de: "Standard", fr: "Par défaut", es: "Predeterminado" }
    MakeDefault { en: "Make default", de: "Als Standard festlegen", fr: "Définir par défaut", es: "Establecer como predeterminado" }
    Remove { en: "Remove", de: "Entfernen", fr: "Supprimer", es: "Eliminar" }
    AddPaymentMethod { en: "Add payment method", de: "Zahlungsmethode hinzufügen", fr: "Ajouter un moyen de paiement", es: "Añadir método de pago" }

    // Billing details.
    Name { en: "Name", de: "Name", fr: "Nom", es: "Nombre" }
    Email { en: "Email", de: "E-Mail", fr: "E-mail", es: "Correo electrónico" }
    BillingAddress { en: "Billing address", de: "Rechnungsadresse", fr: "Adresse de facturation", es: "Dirección de facturación" }
    AddressLine1 { en: "Address line 1", de: "Adresszeile 1", fr: "Adresse (ligne 1)", es: "Dirección (línea 1)" }
    AddressLine2 { en: "Address line 2", de: "Adresszeile 2", fr: "Adresse (ligne 2)", es: "Dirección (línea 2)" }
    City { en: "City", de: "Ort", fr: "Ville", es: "Ciudad" }
    State { en: "State or region", de: "Bundesland oder Region", fr: "État ou région", es: "Provincia o región" }
    PostalCode { en: "Postal code", de: "Postleitzahl", fr: "Code postal", es: "Código postal" }
    Country { en: "Country", de: "Land", fr: "Pays", es: "País" }
    ChooseCountry { en: "Choose a country", de: "Land auswählen", fr: "Choisissez un pays", es: "Elija un país" }
    ChooseRegion { en: "Choose a state, province or territory", de: "Bundesstaat, Provinz oder Territorium auswählen", fr: "Choisissez un État, une province ou un territoire", es: "Elija un estado, una provincia o un territorio" }
    InvoiceRecipients { en: "Also send invoices to", de: "Rechnungen auch senden an", fr: "Envoyer aussi les factures à", es: "Enviar también las facturas a" }
    InvoiceRecipientsHint { en: "Up to 5 email addresses, one per line.", de: "Bis zu 5 E-Mail-Adressen, eine pro Zeile.", fr: "Jusqu’à 5 adresses e-mail, une par ligne.", es: "Hasta 5 direcciones de correo electrónico, una por línea." }
    Save { en: "Save", de: "Speichern", fr: "Enregistrer", es: "Guardar" }
    Saved { en: "Your changes have been saved.", de: "Ihre Änderungen wurden gespeichert.", fr: "Vos modifications ont été enregistrées.", es: "Sus cambios se han guardado." }
    ReadOnlyDetails { en: "Contact {vendor} to change these details.", de: "Wenden Sie sich an {vendor}, um diese Angaben zu ändern.", fr: "Contactez {vendor} pour modifier ces informations.", es: "Póngase en contacto con {vendor} para modificar estos datos." }

    // Link and session pages.
    LinkExpiredTitle { en: "This link has expired", de: "Dieser Link ist abgelaufen", fr: "Ce lien a expiré", es: "Este enlace ha caducado" }
    LinkExpiredBody { en: "To keep your account safe, portal links work for a short time only.", de: "Zum Schutz Ihres Kontos sind Portal-Links nur kurze Zeit gültig.", fr: "Pour protéger votre compte, les liens du portail ne sont valables que peu de temps.", es: "Para proteger su cuenta, los enlaces del portal solo son válidos durante poco tiempo." }
    LinkInvalidTitle { en: "This link is not valid", de: "Dieser Link ist ungültig", fr: "Ce lien n’est pas valide", es: "Este enlace no es válido" }
    LinkInvalidBody { en: "Please check that you opened the complete link.", de: "Bitte prüfen Sie, ob Sie den vollständigen Link geöffnet haben.", fr: "Vérifiez que vous avez bien ouvert le lien complet.", es: "Compruebe que ha abierto el enlace completo." }
    LinkUsedTitle { en: "This link has already been used", de: "Dieser Link wurde bereits verwendet", fr: "Ce lien a déjà été utilisé", es: "Este enlace ya se ha utilizado" }
    LinkUsedBody { en: "For your security, each link opens the portal only once.", de: "Zu Ihrer Sicherheit öffnet jeder Link das Portal nur einmal.", fr: "Pour votre sécurité, chaque lien n’ouvre le portail qu’une seule fois.", es: "Por su seguridad, cada enlace abre el portal una sola vez." }
    SessionExpiredTitle { en: "Your session has expired", de: "Ihre Sitzung ist abgelaufen", fr: "Votre session a expiré", es: "Su sesión ha caducado" }
    SessionExpiredBody { en: "You were logged out after a period of inactivity.", de: "Sie wurden nach längerer Inaktivität abgemeldet.", fr: "Vous avez été déconnecté après une période d’inactivité.", es: "Se ha cerrado su sesión tras un periodo de inactividad." }
    SessionEndedTitle { en: "This session has ended", de: "Diese Sitzung wurde beendet", fr: "Cette session est terminée", es: "Esta sesión ha finalizado" }
    SessionEndedBody { en: "Access to the portal through this link was ended.", de: "Der Zugang zum Portal über diesen Link wurde beendet.", fr: "L’accès au portail par ce lien a pris fin.", es: "Se ha cerrado el acceso al portal mediante este enlace." }
    NotSignedInTitle { en: "You are not signed in", de: "Sie sind nicht angemeldet", fr: "Vous n’êtes pas connecté", es: "No ha iniciado sesión" }
    NotSignedInBody { en: "Open the billing portal with the link you were given.", de: "Öffnen Sie das Abrechnungsportal über den Link, den Sie erhalten haben.", fr: "Ouvrez le portail de facturation avec le lien qui vous a été fourni.", es: "Abra el portal de facturación con el enlace que ha recibido." }
    AskForNewLink { en: "Ask {vendor} for a new link.", de: "Bitten Sie {vendor} um einen neuen Link.", fr: "Demandez un nouveau lien à {vendor}.", es: "Solicite un nuevo enlace a {vendor}." }
    LoggedOutTitle { en: "You have been logged out", de: "Sie wurden abgemeldet", fr: "Vous avez été déconnecté", es: "Ha cerrado la sesión" }
    LoggedOutBody { en: "To return to the portal, open a new link from {vendor}.", de: "Um zum Portal zurückzukehren, öffnen Sie einen neuen Link von {vendor}.", fr: "Pour revenir au portail, ouvrez un nouveau lien fourni par {vendor}.", es: "Para volver al portal, abra un nuevo enlace de {vendor}." }

    // Errors.
    SomethingWentWrong { en: "Something went wrong", de: "Etwas ist schiefgelaufen", fr: "Une erreur s’est produite", es: "Algo ha salido mal" }
    TryAgainLater { en: "Please try again in a few minutes. If the problem persists, contact {support}.", de: "Bitte versuchen Sie es in ein paar Minuten erneut. Besteht das Problem weiterhin, wenden Sie sich an {support}.", fr: "Veuillez réessayer dans quelques minutes. Si le problème persiste, contactez {support}.", es: "Vuelva a intentarlo dentro de unos minutos. Si el problema continúa, escriba a {support}." }
    ErrorReference { en: "Reference: {id}", de: "Referenz: {id}", fr: "Référence\u{a0}: {id}", es: "Referencia: {id}" }
    NotFoundTitle { en: "Page not found", de: "Seite nicht gefunden", fr: "Page introuvable", es: "Página no encontrada" }
    NotFoundBody { en: "The page you are looking for does not exist or is no longer available.", de: "Die gesuchte Seite existiert nicht oder ist nicht mehr verfügbar.", fr: "La page que vous cherchez n’existe pas ou n’est plus disponible.", es: "La página que busca no existe o ya no está disponible." }
    GoToOverview { en: "Go to the overview", de: "Zur Übersicht", fr: "Aller à la vue d’ensemble", es: "Ir al resumen" }
    NotAllowed { en: "You do not have permission to do this.", de: "Dazu fehlt Ihnen die Berechtigung.", fr: "Vous n’avez pas l’autorisation d’effectuer cette action.", es: "No tiene permiso para realizar esta acción." }
    FixErrors { en: "Please correct the highlighted fields.", de: "Bitte korrigieren Sie die markierten Felder.", fr: "Veuillez corriger les champs signalés.", es: "Corrija los campos marcados." }
    FieldRequired { en: "This field is required.", de: "Dieses Feld ist erforderlich.", fr: "Ce champ est obligatoire.", es: "Este campo es obligatorio." }
    InvalidCountry { en: "Choose a country from the list.", de: "Wählen Sie ein Land aus der Liste.", fr: "Choisissez un pays dans la liste.", es: "Elija un país de la lista." }
    InvalidRegion { en: "Choose the state, province or territory of this address from the list.", de: "Wählen Sie den Bundesstaat, die Provinz oder das Territorium dieser Adresse aus der Liste.", fr: "Choisissez dans la liste l’État, la province ou le territoire de cette adresse.", es: "Elija de la lista el estado, la provincia o el territorio de esta dirección." }
    InvalidRecipients { en: "Enter up to 5 different valid email addresses, one per line.", de: "Geben Sie bis zu 5 verschiedene gültige E-Mail-Adressen ein, eine pro Zeile.", fr: "Saisissez jusqu’à 5 adresses e-mail valides et différentes, une par ligne.", es: "Introduzca hasta 5 direcciones de correo electrónico válidas y distintas, una por línea." }
    InvalidValue { en: "Check this value.", de: "Bitte prüfen Sie diesen Wert.", fr: "Vérifiez cette valeur.", es: "Revise este valor." }
    InvalidEmail { en: "Enter a valid email address.", de: "Geben Sie eine gültige E-Mail-Adresse ein.", fr: "Saisissez une adresse e-mail valide.", es: "Introduzca un correo electrónico válido." }

    // Paying and payment methods.
    PayAmount { en: "Pay {amount}", de: "{amount} bezahlen", fr: "Payer {amount}", es: "Pagar {amount}" }
    PayWith { en: "Pay with", de: "Bezahlen mit", fr: "Payer avec", es: "Pagar con" }
    PaymentSucceeded { en: "Payment received. Thank you!", de: "Zahlung erhalten. Vielen Dank!", fr: "Paiement reçu. Merci\u{202f}!", es: "Pago recibido. ¡Gracias!" }
    PaymentPending { en: "Your payment is being processed. Please check again in a moment.", de: "Ihre Zahlung wird bearbeitet. Bitte sehen Sie gleich noch einmal nach.", fr: "Votre paiement est en cours de traitement. Veuillez vérifier à nouveau dans un instant.", es: "Su pago se está procesando. Vuelva a comprobarlo en un momento." }
    PaymentNeedsAction { en: "Your bank asks you to confirm this payment.", de: "Ihre Bank bittet Sie, diese Zahlung zu bestätigen.", fr: "Votre banque vous demande de confirmer ce paiement.", es: "Su banco le pide que confirme este pago." }
    ConfirmPayment { en: "Confirm payment", de: "Zahlung bestätigen", fr: "Confirmer le paiement", es: "Confirmar el pago" }
    ConfirmYourPayment { en: "Confirm your payment", de: "Zahlung bestätigen", fr: "Confirmez votre paiement", es: "Confirme su pago" }
    PaymentStepBody { en: "Your bank asks you to confirm the payment of {amount} for invoice {number}.", de: "Ihre Bank bittet Sie, die Zahlung von {amount} für Rechnung {number} zu bestätigen.", fr: "Votre banque vous demande de confirmer le paiement de {amount} pour la facture {number}.", es: "Su banco le pide que confirme el pago de {amount} de la factura {number}." }
    PaymentStepNeedsJavaScript { en: "Confirming the payment with your bank needs JavaScript. Please turn it on, or pay with another card.", de: "Die Bestätigung der Zahlung bei Ihrer Bank benötigt JavaScript. Bitte aktivieren Sie es oder zahlen Sie mit einer anderen Karte.", fr: "La confirmation du paiement auprès de votre banque nécessite JavaScript. Veuillez l’activer ou payer avec une autre carte.", es: "Confirmar el pago con su banco necesita JavaScript. Actívelo o pague con otra tarjeta." }
    PaymentInProgress { en: "A payment of this invoice is already in progress.", de: "Für diese Rechnung läuft bereits eine Zahlung.", fr: "Un paiement de cette facture est déjà en cours.", es: "Ya hay un pago de esta factura en curso." }
    PaymentUnavailable { en: "We could not reach the payment provider. Nothing was charged twice; please try again in a moment.", de: "Der Zahlungsanbieter war nicht erreichbar. Es wurde nichts doppelt belastet; bitte versuchen Sie es gleich noch einmal.", fr: "Le prestataire de paiement est injoignable. Rien n’a été débité deux fois\u{a0}; veuillez réessayer dans un instant.", es: "No se ha podido contactar con el proveedor de pagos. No se ha cobrado nada dos veces; vuelva a intentarlo en un momento." }
    PaymentNotStarted { en: "This payment could not be started. Please choose another card.", de: "Diese Zahlung konnte nicht gestartet werden. Bitte wählen Sie eine andere Karte.", fr: "Ce paiement n’a pas pu être lancé. Veuillez choisir une autre carte.", es: "No se ha podido iniciar este pago. Elija otra tarjeta." }
    DeclineCardDeclined { en: "Your card was declined. Please use another card or contact your bank.", de: "Ihre Karte wurde abgelehnt. Bitte verwenden Sie eine andere Karte oder wenden Sie sich an Ihre Bank.", fr: "Votre carte a été refusée. Veuillez utiliser une autre carte ou contacter votre banque.", es: "Su tarjeta ha sido rechazada. Utilice otra tarjeta o póngase en contacto con su banco." }
    DeclineInsufficientFunds { en: "Your card has insufficient funds.", de: "Ihre Karte ist nicht ausreichend gedeckt.", fr: "Le solde de votre carte est insuffisant.", es: "Su tarjeta no tiene fondos suficientes." }
    DeclineExpiredCard { en: "Your card has expired.", de: "Ihre Karte ist abgelaufen.", fr: "Votre carte a expiré.", es: "Su tarjeta ha caducado." }
    DeclineAuthenticationFailed { en: "The payment was not confirmed with your bank.", de: "Die Zahlung wurde bei Ihrer Bank nicht bestätigt.", fr: "Le paiement n’a pas été confirmé auprès de votre banque.", es: "El pago no se ha confirmado con su banco." }
    DeclineProcessingError { en: "The payment could not be processed. Please try again.", de: "Die Zahlung konnte nicht verarbeitet werden. Bitte versuchen Sie es erneut.", fr: "Le paiement n’a pas pu être traité. Veuillez réessayer.", es: "No se ha podido procesar el pago. Vuelva a intentarlo." }
    RetryPayment { en: "Retry payment", de: "Zahlung erneut versuchen", fr: "Réessayer le paiement", es: "Reintentar el pago" }
    AddCard { en: "Add a card", de: "Karte hinzufügen", fr: "Ajouter une carte", es: "Añadir una tarjeta" }
    ReplaceCard { en: "Replace card", de: "Karte ersetzen", fr: "Remplacer la carte", es: "Sustituir la tarjeta" }
    RemoveMethod { en: "Remove", de: "Entfernen", fr: "Supprimer", es: "Eliminar" }
    CardAdded { en: "Your card has been added.", de: "Ihre Karte wurde hinzugefügt.", fr: "Votre carte a été ajoutée.", es: "Su tarjeta se ha añadido." }
    DefaultChanged { en: "Your default payment method has been changed.", de: "Ihre Standard-Zahlungsmethode wurde geändert.", fr: "Votre moyen de paiement par défaut a été modifié.", es: "Su método de pago predeterminado se ha cambiado." }
    MethodRemoved { en: "The payment method has been removed.", de: "Die Zahlungsmethode wurde entfernt.", fr: "Le moyen de paiement a été supprimé.", es: "El método de pago se ha eliminado." }
    LastMethodNeeded { en: "This is your only payment method and your subscription renews with it. Please add another one before removing it.", de: "Dies ist Ihre einzige Zahlungsmethode, und Ihr Abonnement verlängert sich damit. Bitte fügen Sie zuerst eine andere hinzu.", fr: "C’est votre seul moyen de paiement et votre abonnement se renouvelle avec lui. Veuillez d’abord en ajouter un autre.", es: "Es su único método de pago y su suscripción se renueva con él. Añada otro antes de eliminarlo." }
    CardDetails { en: "Card details", de: "Kartendaten", fr: "Données de la carte", es: "Datos de la tarjeta" }
    SaveCard { en: "Save card", de: "Karte speichern", fr: "Enregistrer la carte", es: "Guardar la tarjeta" }
    CardFormNeedsJavaScript { en: "The card form needs JavaScript. Please turn it on to add a card.", de: "Das Kartenformular benötigt JavaScript. Bitte aktivieren Sie es, um eine Karte hinzuzufügen.", fr: "Le formulaire de carte nécessite JavaScript. Veuillez l’activer pour ajouter une carte.", es: "El formulario de tarjeta necesita JavaScript. Actívelo para añadir una tarjeta." }
    CardNotAdded { en: "The card could not be added. Please try again.", de: "Die Karte konnte nicht hinzugefügt werden. Bitte versuchen Sie es erneut.", fr: "La carte n’a pas pu être ajoutée. Veuillez réessayer.", es: "No se ha podido añadir la tarjeta. Vuelva a intentarlo." }
    AddCardToPay { en: "Add a card to pay this invoice.", de: "Fügen Sie eine Karte hinzu, um diese Rechnung zu bezahlen.", fr: "Ajoutez une carte pour payer cette facture.", es: "Añada una tarjeta para pagar esta factura." }
    AlertPastDue { en: "Invoice {number} of {amount} is overdue.", de: "Rechnung {number} über {amount} ist überfällig.", fr: "La facture {number} de {amount} est en retard de paiement.", es: "La factura {number} de {amount} está vencida." }
    AlertPaymentFailed { en: "Your last payment of {amount} failed: {reason}", de: "Ihre letzte Zahlung über {amount} ist fehlgeschlagen: {reason}", fr: "Votre dernier paiement de {amount} a échoué\u{a0}: {reason}", es: "Su último pago de {amount} ha fallado: {reason}" }
    AlertCardExpired { en: "Your default card, {card}, has expired.", de: "Ihre Standardkarte, {card}, ist abgelaufen.", fr: "Votre carte par défaut, {card}, a expiré.", es: "Su tarjeta predeterminada, {card}, ha caducado." }
    AlertCardExpiring { en: "Your default card, {card}, expires soon.", de: "Ihre Standardkarte, {card}, läuft bald ab.", fr: "Votre carte par défaut, {card}, expire bientôt.", es: "Su tarjeta predeterminada, {card}, caduca pronto." }
}

/// `t` with `{name}` placeholders replaced by the matching argument. Unknown placeholders stay
/// visible rather than vanish, and argument values are never scanned for placeholders, so a
/// customer's name containing `{vendor}` is printed as typed.
pub fn tf(locale: Locale, msg: Msg, args: &[(&str, &str)]) -> String {
    let template = t(locale, msg);
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some((before, name, after)) = next_placeholder(rest) {
        out.push_str(before);
        match args.iter().find(|(key, _)| *key == name) {
            Some((_, value)) => out.push_str(value),
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Splits `text` at its first `{name}` into (text before, name, text after).
fn next_placeholder(text: &str) -> Option<(&str, &str, &str)> {
    let open = text.find('{')?;
    let close = open + text[open..].find('}')?;
    Some((&text[..open], &text[open + 1..close], &text[close + 1..]))
}

/// The placeholder names in a text, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some((_, name, after)) = next_placeholder(rest) {
        names.push(name);
        rest = after;
    }
    names
}

impl From<SubscriptionStatus> for Msg {
    fn from(status: SubscriptionStatus) -> Msg {
        match status {
            SubscriptionStatus::Trialing => Msg::SubscriptionTrialing,
            SubscriptionStatus::Active => Msg::SubscriptionActive,
            SubscriptionStatus::PastDue => Msg::SubscriptionPastDue,
            SubscriptionStatus::Canceled => Msg::SubscriptionCanceled,
        }
    }
}

impl From<InvoiceStatus> for Msg {
    fn from(status: InvoiceStatus) -> Msg {
        match status {
            InvoiceStatus::Draft => Msg::InvoiceDraft,
            InvoiceStatus::Open => Msg::InvoiceOpen,
            InvoiceStatus::Paid => Msg::InvoicePaid,
            InvoiceStatus::Void => Msg::InvoiceVoid,
            InvoiceStatus::Uncollectible => Msg::InvoiceUncollectible,
        }
    }
}

impl From<TransactionKind> for Msg {
    fn from(kind: TransactionKind) -> Msg {
        match kind {
            TransactionKind::Payment => Msg::TransactionPayment,
            TransactionKind::Refund => Msg::TransactionRefund,
            TransactionKind::Credit => Msg::TransactionCredit,
        }
    }
}

impl From<TransactionStatus> for Msg {
    fn from(status: TransactionStatus) -> Msg {
        match status {
            TransactionStatus::Pending => Msg::TransactionPending,
            TransactionStatus::Succeeded => Msg::TransactionSucceeded,
            TransactionStatus::Failed => Msg::TransactionFailed,
        }
    }
}

impl From<PaymentMethodKind> for Msg {
    fn from(kind: PaymentMethodKind) -> Msg {
        match kind {
            PaymentMethodKind::Card => Msg::Card,
            PaymentMethodKind::SepaDebit => Msg::SepaDebit,
            PaymentMethodKind::UsBankAccount => Msg::UsBankAccount,
        }
    }
}

impl From<DeclineCode> for Msg {
    fn from(code: DeclineCode) -> Msg {
        match code {
            DeclineCode::CardDeclined => Msg::DeclineCardDeclined,
            DeclineCode::InsufficientFunds => Msg::DeclineInsufficientFunds,
            DeclineCode::ExpiredCard => Msg::DeclineExpiredCard,
            DeclineCode::AuthenticationFailed => Msg::DeclineAuthenticationFailed,
            DeclineCode::ProcessingError => Msg::DeclineProcessingError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Translations that are rightly the English word: each is the standard term in that
    /// language, and rewording it to dodge this test would read worse.
    const SAME_AS_ENGLISH: &[(Locale, Msg, &str)] = &[
        (
            Locale::De,
            Msg::Status,
            "the loanword is what German invoices and apps say",
        ),
        (Locale::De, Msg::Name, "the German word is Name"),
        (Locale::Fr, Msg::Date, "the French word is date"),
        (Locale::Fr, Msg::Total, "the French word is total"),
        (Locale::Es, Msg::Total, "the Spanish word is total"),
        (Locale::Es, Msg::Subtotal, "the Spanish word is subtotal"),
        (Locale::De, Msg::Pdf, "a file format's name"),
        (Locale::Fr, Msg::Pdf, "a file format's name"),
        (Locale::Es, Msg::Pdf, "a file format's name"),
    ];

    const TRANSLATED: [Locale; 3] = [Locale::De, Locale::Fr, Locale::Es];

    #[test]
    fn every_message_is_translated() {
        let mut untranslated = Vec::new();
        for &msg in Msg::ALL {
            for locale in TRANSLATED {
                let allowed = SAME_AS_ENGLISH
                    .iter()
                    .any(|&(l, m, _)| l == locale && m == msg);
                if t(locale, msg) == t(Locale::En, msg) && !allowed {
                    untranslated.push(format!("{locale}:{} = {:?}", msg.name(), t(locale, msg)));
                }
            }
        }
        assert!(
            untranslated.is_empty(),
            "English text in a translation: {untranslated:#?}"
        );
    }

    #[test]
    fn the_allow_list_only_holds_real_matches() {
        for &(locale, msg, why) in SAME_AS_ENGLISH {
            assert_eq!(
                t(locale, msg),
                t(Locale::En, msg),
                "{locale}:{} is allowed to equal English ({why}) but no longer does; drop it",
                msg.name()
            );
        }
    }

    #[test]
    fn translations_keep_the_placeholders() {
        for &msg in Msg::ALL {
            let mut want = placeholders(t(Locale::En, msg));
            want.sort_unstable();
            for locale in TRANSLATED {
                let mut got = placeholders(t(locale, msg));
                got.sort_unstable();
                assert_eq!(got, want, "placeholders of {locale}:{}", msg.name());
            }
        }
    }

    #[test]
    fn texts_are_tidy() {
        for &msg in Msg::ALL {
            for locale in Locale::ALL {
                let text = t(locale, msg);
                let at = format!("{locale}:{}", msg.name());
                assert!(!text.is_empty(), "{at} is empty");
                assert_eq!(text, text.trim(), "{at} has outer whitespace");
                assert!(!text.contains("  "), "{at} has a double space");
                assert!(!text.contains('\''), "{at} uses a straight apostrophe");
                assert!(
                    placeholders(text).iter().all(|p| !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                    "{at} has a malformed placeholder"
                );
            }
        }
    }

    #[test]
    fn french_punctuation_has_its_no_break_space() {
        for &msg in Msg::ALL {
            let text: Vec<char> = t(Locale::Fr, msg).chars().collect();
            for (i, &c) in text.iter().enumerate().skip(1) {
                if matches!(c, ':' | ';' | '?' | '!') {
                    assert!(
                        matches!(text[i - 1], '\u{a0}' | '\u{202f}'),
                        "fr:{} needs a no-break space before {c:?}",
                        msg.name()
                    );
                }
            }
        }
    }

    #[test]
    fn variant_names_are_unique() {
        let mut names: Vec<&str> = Msg::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Msg::ALL.len());
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            tf(Locale::De, Msg::BackToVendor, &[("vendor", "Acme")]),
            "Zurück zu Acme"
        );
        assert_eq!(
            tf(
                Locale::Fr,
                Msg::FooterQuestions,
                &[("support", "help@acme.test")]
            ),
            "Des questions\u{202f}? Contactez help@acme.test"
        );
        assert_eq!(
            tf(
                Locale::En,
                Msg::AmountDueBy,
                &[("amount", "€10.00"), ("date", "Mar 5, 2026")]
            ),
            "€10.00 due Mar 5, 2026"
        );
    }

    #[test]
    fn filling_is_not_recursive_and_keeps_unknown_placeholders() {
        assert_eq!(
            tf(Locale::En, Msg::Welcome, &[("name", "{name} & {vendor}")]),
            "Welcome, {name} & {vendor}"
        );
        assert_eq!(tf(Locale::En, Msg::BackToVendor, &[]), "Back to {vendor}");
        assert_eq!(tf(Locale::En, Msg::LogOut, &[("x", "y")]), "Log out");
    }

    #[test]
    fn domain_states_have_labels() {
        assert_eq!(t(Locale::De, InvoiceStatus::Paid.into()), "Bezahlt");
        assert_eq!(
            t(Locale::Fr, SubscriptionStatus::Canceled.into()),
            "Résilié"
        );
        assert_eq!(t(Locale::Es, TransactionKind::Refund.into()), "Reembolso");
        assert_eq!(t(Locale::En, TransactionStatus::Failed.into()), "Failed");
        assert_eq!(
            t(Locale::De, PaymentMethodKind::SepaDebit.into()),
            "SEPA-Lastschrift"
        );
        for status in InvoiceStatus::ALL {
            assert!(!t(Locale::Fr, Msg::from(*status)).is_empty());
        }
    }
}
