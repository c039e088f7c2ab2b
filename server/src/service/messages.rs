//! E-mail to customers and organisations, in Japanese (Q11, Q24). Messages
//! are queued in the transaction of their cause; a sender delivers them by
//! SMTP when one is configured, otherwise they stay PENDING and are listed by
//! `outgoingMessages`.

use chrono::Datelike;

use super::{Ctx, Page, PageRequest, ServiceError, Services};
use crate::{
    authz::Scope,
    domain::payment_number::PaymentNumber,
    store::{self, entity::{bill::Model as Bill, outgoing_message::Model as Message}},
};

/// Yen as people read it: `300,000円`.
pub fn yen(amount: i64) -> String {
    let digits = amount.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}円", if amount < 0 { "-" } else { "" })
}

pub fn japanese_date(date: chrono::NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// The notice of a newly issued payment number (Q11).
pub fn payment_number_mail(company: &str, number: &PaymentNumber) -> (String, String) {
    let subject = format!("【{company}】お支払番号のお知らせ");
    let body = format!(
        "{company}よりお支払番号をお知らせします。\n\n\
         お支払番号: {}\n\n\
         ローソン・ミニストップ・ファミリーマートの店頭端末で、このお支払番号を入力してお支払いください。\n\
         同じお支払番号で、複数のご請求をまとめてお支払いいただけます。\n\n\
         ※このメールは送信専用です。ご不明な点は{company}までお問い合わせください。\n",
        number.grouped()
    );
    (subject, body)
}

/// The notice of a bill, for prepayment (Q10).
pub fn bill_mail(company: &str, bill: &Bill) -> (String, String) {
    let number = PaymentNumber::parse(&bill.payment_number).map(|n| n.grouped()).unwrap_or_else(|_| bill.payment_number.clone());
    let subject = format!("【{company}】お支払いのご案内");
    let body = format!(
        "{company}からのご請求です。\n\n\
         ご請求内容: {}\n\
         ご請求金額: {}（税込）\n\
         お支払期限: {}\n\
         お支払番号: {number}\n\n\
         ローソン・ミニストップ・ファミリーマートの店頭端末でお支払番号を入力し、レジでお支払いください。\n\
         お支払期限を過ぎるとお支払いいただけません。\n\n\
         ※このメールは送信専用です。\n",
        bill.description,
        yen(bill.amount),
        japanese_date(bill.due_date),
    );
    (subject, body)
}

impl Services {
    /// Tells the sender there is mail (it also polls).
    pub fn messages_queued(&self) {
        self.mail_wake.notify_one();
    }

    pub async fn outgoing_messages(&self, ctx: &Ctx, page: PageRequest) -> Result<Page<Message>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "message", "list").await?;
        Ok(store::messages::list(&self.db, page).await?)
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_amounts_group_thousands() {
        assert_eq!(yen(300_000), "300,000円");
        assert_eq!(yen(1), "1円");
        assert_eq!(yen(1_234_567), "1,234,567円");
        assert_eq!(yen(-1_500), "-1,500円");
    }
}
