//! E-mail to customers and organisations, in Japanese (Q11, Q24). Messages
//! are queued in the transaction of their cause; a sender delivers them by
//! SMTP when one is configured, otherwise they stay PENDING and are listed by
//! `outgoingMessages`.

use chrono::Datelike;

use super::{Ctx, Page, PageRequest, ServiceError, Services};
use crate::{
    authz::Scope,
    domain::payment_number::PaymentNumber,
    store::{
        self,
        entity::{bill::Model as Bill, outgoing_message::Model as Message},
    },
};

/// Yen as people read it: `300,000円`.
pub fn yen(amount: i64) -> String {
    let digits = amount.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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
    let number = PaymentNumber::parse(&bill.payment_number)
        .map(|n| n.grouped())
        .unwrap_or_else(|_| bill.payment_number.clone());
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

/// The notice of a confirmed settlement statement (Q06).
pub fn statement_mail(
    company: &str,
    statement: &crate::store::entity::settlement_statement::Model,
) -> (String, String) {
    let subject = format!(
        "【精算確定】{}〜{}分のお支払額のお知らせ",
        japanese_date(statement.period_start),
        japanese_date(statement.period_end)
    );
    let body = format!(
        "{company} 御中\n\n{}から{}までの収納分の精算額が確定しました。\n\n\
         件数: {}件\n収納総額: {}\n手数料: {}\n手数料の消費税: {}\n前回からの繰越: {}\n差引支払額: {}\n\n\
         お支払予定日: {}\n\n明細は管理画面またはCSVでご確認いただけます。\n",
        japanese_date(statement.period_start),
        japanese_date(statement.period_end),
        statement.payment_count,
        yen(statement.gross),
        yen(statement.fees),
        yen(statement.fee_tax),
        yen(statement.carried_in),
        yen(statement.payout),
        japanese_date(statement.payout_date),
    );
    (subject, body)
}

impl Services {
    /// Tells the sender there is mail (it also polls).
    pub fn messages_queued(&self) {
        self.mail_wake.notify_one();
    }

    pub async fn outgoing_messages(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Message>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "message", "list")
            .await?;
        Ok(store::messages::list(&self.db, page).await?)
    }
}

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

impl Services {
    /// The printable payment sheet (Q10) of a payment number: the caller's
    /// open bills on it, amounts, due dates, chains, and how to pay.
    pub async fn payment_sheet(&self, ctx: &Ctx, number: &str) -> Result<String, ServiceError> {
        ctx.principal()?;
        let number = crate::domain::payment_number::PaymentNumber::parse(number).map_err(|r| {
            ServiceError::Invalid(vec![super::UserError::from_rule(&["paymentNumber"], r)])
        })?;
        let today = crate::domain::bill::jst_date(self.clock.now());
        let mut rows = String::new();
        let mut total = 0;
        let mut count = 0;
        for bill in store::bills::open_for_number(&self.db, number.as_str(), today).await? {
            if self.visible_bill(ctx, bill.id).await?.is_none() {
                continue;
            }
            let company = store::organisations::find(&self.db, bill.organisation_id)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            let chains: Vec<&str> =
                crate::domain::contract::ChainSet::from_stored(&bill.available_chains)
                    .map(|set| {
                        set.chains()
                            .iter()
                            .map(|c| match c {
                                crate::domain::contract::Chain::Lawson => "ローソン",
                                crate::domain::contract::Chain::Ministop => "ミニストップ",
                                crate::domain::contract::Chain::FamilyMart => "ファミリーマート",
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            total += bill.amount;
            count += 1;
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"yen\">{}</td><td>{}</td><td>{}</td></tr>\n",
                escape_html(&company),
                escape_html(&bill.description),
                yen(bill.amount),
                japanese_date(bill.due_date),
                chains.join("・"),
            ));
        }
        if count == 0 {
            return Err(ServiceError::NotFound);
        }
        Ok(format!(
            r#"<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>お支払票 {grouped}</title>
<style>
body {{ font-family: "Hiragino Sans", "Noto Sans JP", sans-serif; margin: 2em; }}
h1 {{ font-size: 1.4em; }} .number {{ font-size: 2em; letter-spacing: .1em; font-weight: bold; }}
table {{ border-collapse: collapse; width: 100%; margin: 1em 0; }} th, td {{ border: 1px solid #444; padding: .4em; }}
.yen {{ text-align: right; }} @media print {{ .noprint {{ display: none; }} }}
</style></head><body>
<h1>コンビニ払い お支払票</h1>
<p>お支払番号</p><p class="number">{grouped}</p>
<table><thead><tr><th>ご請求元</th><th>ご請求内容</th><th>金額（税込）</th><th>お支払期限</th><th>お支払いいただけるコンビニ</th></tr></thead>
<tbody>
{rows}</tbody>
<tfoot><tr><th colspan="2">合計（{count}件）</th><th class="yen">{total}</th><th colspan="2"></th></tr></tfoot></table>
<h2>お支払い方法</h2>
<ol>
<li>ローソン・ミニストップ・ファミリーマートの店頭端末で「各種番号をお持ちの方」を選び、上記のお支払番号を入力してください。</li>
<li>表示されたご請求を確認し、発券された申込券をレジにお持ちください。</li>
<li>お支払期限までに現金でお支払いください。お支払い後に受領証をお受け取りください（領収書は発行されません）。</li>
</ol>
<p>表示されたコンビニ以外ではお支払いいただけない場合があります。発行日: {issued}</p>
<p class="noprint"><button onclick="window.print()">印刷する</button></p>
</body></html>
"#,
            grouped = number.grouped(),
            total = yen(total),
            issued = japanese_date(today),
        ))
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
