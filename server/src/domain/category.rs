//! Merchandise category codes (API.md).

/// The categories every deployment knows.
pub const CATEGORIES: &[&str] = &[
    "GENERAL_MERCHANDISE",
    "FOOD",
    "APPAREL",
    "BOOKS_MEDIA",
    "DIGITAL_CONTENT",
    "POINTS",
    "TICKETS",
    "SERVICES",
    "SUBSCRIPTION",
    "UTILITIES",
    "EDUCATION",
    "DONATION",
    "TAX",
    "HEALTH_INSURANCE",
    "RENTAL_MOBILE_PHONE",
    "REAL_MONEY_TRADING",
    "PUBLIC_ORDER_VIOLATION",
];

pub fn is_known(category: &str) -> bool {
    CATEGORIES.contains(&category)
}
