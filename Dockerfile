# A production image: the locked dependencies, the code, static files collected at build time.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir 'uv>=0.5' && useradd --create-home --uid 1000 windowsvc
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-install-project
COPY . .
# The build-time keys only satisfy the production profile's checks; they sign and encrypt nothing.
RUN DJANGO_SETTINGS_MODULE=windowsvc.settings.production SECRET_KEY=build-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc= BLIND_INDEX_KEYS=build-only-not-a-secret-blind-index-key \
    sh -c 'python manage.py compile_translations && python manage.py collectstatic --noinput' \
    && mkdir -p /app/var && chown -R windowsvc /app/var
USER windowsvc
EXPOSE 8000
CMD ["gunicorn", "windowsvc.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
